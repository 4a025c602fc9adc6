MAX_TOKENS = 4096
TOKENIZER = "bert-base-uncased"
SECRET_NAME = "prod/db/credentials"
