SECRET_KEY = "replace-me-with-a-long-random-string"
DATABASE_PASSWORD = ""
API_KEY = None
