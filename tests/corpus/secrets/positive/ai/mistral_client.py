from mistralai import Mistral

MISTRAL_API_KEY = "Nmd9Nm7oHkMl1lS0raYRGFGjGaXKcBWT"
client = Mistral(api_key=MISTRAL_API_KEY)
