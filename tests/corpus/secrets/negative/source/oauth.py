TOKEN_URL = "https://oauth2.googleapis.com/token"
AUTH_URL = "https://accounts.google.com/o/oauth2/auth"
token_type = "Bearer"
grant_type = "client_credentials"
access_token = response.json()["access_token"]
