INSERT INTO users (email, password_hash) VALUES
('ana@acme.dev', '$2b$12$JDH55MIScMQDAGIn1PhCJPj5gx8ACuqG1A/Fvm7tcGbsQ./0ZvtAJ'),
('bo@acme.dev', '$argon2id$v=19$m=65536,t=3,p=4$qypmfsVEbUyOLaZHOySxHw$4KJa28wCWPqjStc7veXhAFhCPbAcNh8/18L5Nsr4R+E');
