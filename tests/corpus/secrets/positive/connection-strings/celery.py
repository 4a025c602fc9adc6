broker_url = 'amqp://celery:v7XBt.r-abnW0xZr@rabbit:5672/vhost'
