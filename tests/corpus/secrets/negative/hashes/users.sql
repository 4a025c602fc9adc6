INSERT INTO users (email, password_hash) VALUES
('ana@acme.dev', '$2b$12$ytxW224Gn1ss8kwl899fdpEiQzjJhQ4DnFkpgfK8OFxhmlltxKGl9'),
('bo@acme.dev', '$argon2id$v=19$m=65536,t=3,p=4$vTpfXgKaCvSvuxmb9PGW3w$OtzX3Ltmt4dITSjSdeaEJbY7fB5qkOGloLEuWNYULm4');
