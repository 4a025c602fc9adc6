from telegram.ext import Application

app = Application.builder().token("1616541178:AAqDd9xhwoFjFd60bb5K0i9BsZt0m-cFwfw").build()
