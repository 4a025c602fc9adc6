static const char *password_prompt = "Password: ";
int check(const char *token) { return strcmp(token, expected_token) == 0; }
