from huggingface_hub import login

login("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")
