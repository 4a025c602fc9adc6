curl -u deploy:6H%gQ.EGEP25s7D*o%@ https://ci.acme.dev/api/json
