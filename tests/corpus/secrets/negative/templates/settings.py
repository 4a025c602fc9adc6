import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DB_PASSWORD = os.getenv("DB_PASSWORD")
API_TOKEN = config.get("api", "token")
