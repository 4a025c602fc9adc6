client = OpenAI(base_url='https://api.deepseek.com', api_key='sk-7c1d8d91b0a8dd627cea572950dbe7d3')
