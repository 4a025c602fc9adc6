EMAIL_HOST_PASSWORD = 'dxtm wmgm yxql ajpj'
