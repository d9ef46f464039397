async def test_register_and_me(client):
    alice = await client.register("alice")
    data = await client.data("{ me { tag email } }", token=alice.access_token)
    assert data["me"] == {"tag": "alice", "email": "alice@example.com"}
