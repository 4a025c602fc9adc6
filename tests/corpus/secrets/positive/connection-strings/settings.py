DATABASES = {
    'default': dj_database_url.parse(
        'postgresql://django:q7~NvhjvEE7aZ5@10.0.3.7/shop'
    )
}
