import secrets


def new_token(nbytes=32):
    return secrets.token_urlsafe(nbytes)


def check_password(user, password):
    return bcrypt.checkpw(password.encode(), user.password_hash)


TOKEN_TTL = 3600
PASSWORD_MIN_LENGTH = 12
