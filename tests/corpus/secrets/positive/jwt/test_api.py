import requests

TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzOWE4MTExMi0zZDdjLWY5MDYtOTQxZC1kMzA3MmYwNjA3ZmYiLCJpYXQiOjE3NjQ3MjY3MjQsImV4cCI6MTc2NDY3MTI0NSwicm9sZSI6InNlcnZpY2UifQ.bwRh0Y90KFeD2tK9XTBNwyq846Yl_sOLBtOj1e4De0Y"
)

def test_orders():
    r = requests.get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
