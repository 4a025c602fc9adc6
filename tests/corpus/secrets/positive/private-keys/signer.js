const jwt = require('jsonwebtoken');

const PRIVATE_KEY = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIHcQ3J+wi9LfAEqFH60z2BusLElCFoBAG5WFFXyj1dAsoAoGCCqGSM49
AwEHoUQDQgAE+qGmNlBxJeiDSeyH73cb5WGkA6hFtBpKI0oDU+/CzSan249aip08
OO+duANSg8pkNHJBqdcIQ5wmEhqxnDedCQ==
-----END EC PRIVATE KEY-----
`;

module.exports = (claims) => jwt.sign(claims, PRIVATE_KEY, { algorithm: 'ES256' });
