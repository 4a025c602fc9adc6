module.exports = {
  apiKey: process.env.API_KEY,
  password: process.env.DB_PASSWORD || '',
  secret: getSecret('session'),
};
