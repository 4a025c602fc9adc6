const jwt = require('jsonwebtoken');

const PRIVATE_KEY = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIE7P1//hd/07C6Uc4PIim9yjOZFOP7ntTr59JoqYe20noAoGCCqGSM49
AwEHoUQDQgAE1g/UrB6QmdjLE4TLOTwWEbhUu3zEz7FPGX9aisSp2LAJQb0mxwwH
p6zgx8uLofzBjaCPksze3a/h2ry/FwXmYw==
-----END EC PRIVATE KEY-----
`;

module.exports = (claims) => jwt.sign(claims, PRIVATE_KEY, { algorithm: 'ES256' });
