"""node(id) resolves every entity type, but only for those who may see it."""

from tests.factories import create_role, create_space
from tests.graphql_client import Account, GraphQLClient

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


async def node(client: GraphQLClient, who: Account, global_id: str) -> dict | None:
    data = await client.data(NODE, {"id": global_id}, token=who.access_token)
    return data["node"]


async def test_space_role_and_channel_nodes_are_visible_to_members_only(
    client: GraphQLClient,
) -> None:
    alice, mallory = await client.register("alice"), await client.register("mallory")
    space = await create_space(client, alice)
    role = await create_role(client, alice, space, name="mod")
    channels = await client.data(
        "query($id: ID!) { space(id: $id) { channels { id } } }",
        {"id": space},
        token=alice.access_token,
    )
    channel = channels["space"]["channels"][0]["id"]
    for global_id, typename in ((space, "Space"), (role["id"], "Role"), (channel, "Chat")):
        assert await node(client, alice, global_id) == {"__typename": typename, "id": global_id}
        assert await node(client, mallory, global_id) is None


async def test_direct_chat_node_is_visible_to_its_participants_only(
    client: GraphQLClient,
) -> None:
    alice, bob, mallory = [await client.register(t) for t in ("alice", "bob", "mallory")]
    opened = await client.data(
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        {"u": bob.id},
        token=alice.access_token,
    )
    chat = opened["openDirectChat"]["id"]
    assert await node(client, bob, chat) == {"__typename": "Chat", "id": chat}
    assert await node(client, mallory, chat) is None


async def test_public_space_node_is_visible_to_anyone_signed_in(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    assert await node(client, bob, space) == {"__typename": "Space", "id": space}


async def test_message_attachment_and_notification_nodes_respect_visibility(
    client: GraphQLClient,
) -> None:
    alice, bob, mallory = [await client.register(t) for t in ("alice", "bob", "mallory")]
    opened = await client.data(
        "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
        {"u": bob.id},
        token=alice.access_token,
    )
    sent = await client.data(
        'mutation($c: ID!) { sendMessage(input: {chatId: $c, content: "hi @bob"}) { id } }',
        {"c": opened["openDirectChat"]["id"]},
        token=alice.access_token,
    )
    message = sent["sendMessage"]["id"]
    assert await node(client, bob, message) == {"__typename": "Message", "id": message}
    assert await node(client, mallory, message) is None
    listed = await client.data(
        "{ notifications { edges { node { id } } } }", token=bob.access_token
    )
    notification = listed["notifications"]["edges"][0]["node"]["id"]
    assert await node(client, bob, notification) == {
        "__typename": "Notification",
        "id": notification,
    }
    assert await node(client, alice, notification) is None
