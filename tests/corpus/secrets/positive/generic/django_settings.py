DEBUG = False
SECRET_KEY = 'django-insecure-^6lh(9z1_)1bdse(p@#^ai*etmi2m+zkyp89=pv5b0yrhsac4w'
ALLOWED_HOSTS = ['acme.dev']
