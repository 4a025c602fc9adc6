from slack_sdk import WebClient

client = WebClient(token="xoxb-598903602505-9938478417639-qt18nR3okEUbwq1GBLVFeWRu")
client.chat_postMessage(channel="#deploys", text="done")
