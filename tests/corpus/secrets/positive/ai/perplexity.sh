curl https://api.perplexity.ai/chat/completions \
  -H 'Authorization: Bearer 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' \
  -d @request.json
