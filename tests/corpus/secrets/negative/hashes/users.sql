INSERT INTO users (email, password_hash) VALUES
('ana@acme.dev', '$2b$12$ljtyPkc2f7Vou8lxrKQ2Jqs3dzPOm0aGrmmpfxIc7zwCkMCzaE4dN'),
('bo@acme.dev', '$argon2id$v=19$m=65536,t=3,p=4$+ZiYm/JHNYoWao0wERk9kQ$dw1rq+pxes4bQv3paMaZYOf37kiV7FMDjRWlhdZu7ZU');
