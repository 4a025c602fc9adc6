def test_login(client):
    r = client.post("/login", json={"username": "alice", "password": "test-password-123"})
    assert r.status_code == 200
