from azure.storage.blob import BlobServiceClient

ACCOUNT = "acmestore"
AZURE_STORAGE_KEY = "/n38XJi2RrBxmHTxIZv+kmz9EK0SEufgTiD28Z5mcGFkkdjypXjfaveYNgQ6i8WZ+Xk02AlHGP0nrCFjBZCRZQ=="
svc = BlobServiceClient(f"https://{ACCOUNT}.blob.core.windows.net", credential=AZURE_STORAGE_KEY)
