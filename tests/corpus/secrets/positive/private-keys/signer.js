const jwt = require('jsonwebtoken');

const PRIVATE_KEY = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIMEUxsjmw1Qop5YdD3YkZj2gcn33dmE7orjAWh+pfF5coAoGCCqGSM49
AwEHoUQDQgAEKp+L57AxBSfknFQqqHNFK4xTgEFuijHVRhvK+YKe01I7tTeML6kt
LXKjKFh1vHvubw71sHQr4yGHs8i+qmC6HA==
-----END EC PRIVATE KEY-----
`;

module.exports = (claims) => jwt.sign(claims, PRIVATE_KEY, { algorithm: 'ES256' });
