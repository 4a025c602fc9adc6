const client = new ApiClient({
  baseUrl: 'https://api.acme.dev',
  apiKey: 'BqNGktPfFIKLXYkM3oyZJURkMZr07cjP',
});
