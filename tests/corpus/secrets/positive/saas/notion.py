from notion_client import Client
notion = Client(auth="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")
