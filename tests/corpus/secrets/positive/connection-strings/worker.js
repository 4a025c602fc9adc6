const Redis = require('ioredis');
const redis = new Redis('redis://:QV.9LsWVYKK8uumPBBng@cache.acme.internal:6379/0');
