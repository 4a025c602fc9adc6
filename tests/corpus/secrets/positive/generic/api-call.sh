curl -H "X-API-Key: FFAzkHjn9rFtrh2oaSpn4SFtgnKIPYzR" https://api.acme.dev
