"""A channel made private while people watch it, over real WebSocket clients: those who lose
it are ended at once and hear nothing more from it (messages, typing), the others go on."""

from tests.live import next_event, next_message, register, send, send_operation, socket, start
from tests.servers import Server

CHAT_EVENTS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        __typename
        ... on MessageCreated { message { content } }
        ... on TypingStarted { user { tag } }
    }
}"""
CREATE_SPACE = """mutation {
    createSpace(input: {name: "Lounge", isPublic: true}) {
        id channels { id } roles { id isDefault }
    }
}"""
JOIN = "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }"
CREATE_CHANNEL = 'mutation($s: ID!) { createChannel(spaceId: $s, input: {title: "staff"}) { id } }'
CREATE_ROLE = (
    'mutation($s: ID!) { createRole(spaceId: $s, input: {name: "Staff", position: 1}) { id } }'
)
ASSIGN = """mutation($s: ID!, $u: ID!, $r: ID!) {
    assignRole(spaceId: $s, userId: $u, roleId: $r) { joinedAt }
}"""
SET = """mutation($c: ID!, $r: ID!, $allow: [Permission!]!, $deny: [Permission!]!) {
    setChannelPermissions(chatId: $c, roleId: $r, allow: $allow, deny: $deny) { id }
}"""
TYPING = "mutation($c: ID!) { sendTyping(chatId: $c) }"


async def test_making_a_channel_private_ends_the_streams_of_those_who_lose_it(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    carol, _ = register(server, "carol")
    space = server.graphql(CREATE_SPACE, token=alice)["createSpace"]
    for member in (bob, carol):
        server.graphql(JOIN, {"s": space["id"]}, member)
    everyone = next(role["id"] for role in space["roles"] if role["isDefault"])
    general = space["channels"][0]["id"]
    staff_channel = server.graphql(CREATE_CHANNEL, {"s": space["id"]}, alice)["createChannel"]["id"]
    staff = server.graphql(CREATE_ROLE, {"s": space["id"]}, alice)["createRole"]["id"]
    server.graphql(ASSIGN, {"s": space["id"], "u": bob_id, "r": staff}, alice)

    async with socket(server, bob) as bob_ws, socket(server, carol) as carol_ws:
        await start(bob_ws, CHAT_EVENTS, {"chat": staff_channel})
        await start(carol_ws, CHAT_EVENTS, {"chat": staff_channel}, "staff")
        await start(carol_ws, CHAT_EVENTS, {"chat": general}, "general")
        server.graphql(
            SET, {"c": staff_channel, "r": staff, "allow": ["VIEW_CHANNELS"], "deny": []}, alice
        )
        server.graphql(
            SET, {"c": staff_channel, "r": everyone, "allow": [], "deny": ["VIEW_CHANNELS"]}, alice
        )
        # carol's stream of #staff ends at once, not at the next message.
        assert await next_message(carol_ws, 3.0) == {"id": "staff", "type": "complete"}

        assert server.graphql(TYPING, {"c": staff_channel}, alice)["sendTyping"] is True
        send(server, bob, staff_channel, "staff only")
        send(server, alice, general, "for everyone")  # the fence: it comes after the others
        # bob (Staff) goes on hearing #staff: the typing (published at once), then the message.
        assert await next_event(bob_ws, "chatEvents") == {
            "__typename": "TypingStarted",
            "user": {"tag": "alice"},
        }
        assert await next_event(bob_ws, "chatEvents") == {
            "__typename": "MessageCreated",
            "message": {"content": "staff only"},
        }
        # carol hears #general, and nothing of #staff (no typing, no message) before it.
        fence = await next_message(carol_ws)
        assert fence is not None and fence["id"] == "general", fence
        assert fence["payload"]["data"]["chatEvents"]["message"] == {"content": "for everyone"}
        assert await next_message(carol_ws, 0.5) is None
        # Nor can she open a new stream of it.
        await send_operation(carol_ws, CHAT_EVENTS, {"chat": staff_channel}, "again")
        refused = await next_message(carol_ws)
        assert refused is not None and refused["id"] == "again", refused
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
