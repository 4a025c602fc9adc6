def test_rejects_short_password(client):
    r = client.post("/signup", json={"email": "a@b.c", "password": "short"})
    assert r.status_code == 400
