"""Blocking and presence privacy over real sockets: what must not reach whom."""

from tests.live import direct_chat, next_event, next_message, register, socket, start
from tests.servers import Server

TYPING = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { __typename ... on TypingStarted { user { tag } } }
}"""
PRESENCE = """subscription($space: ID) {
    presence(spaceId: $space) { status user { tag status } }
}"""
HEARTBEAT = "mutation { heartbeat }"
CREATE_SPACE = 'mutation { createSpace(input: {name: "Lounge", isPublic: true}) { id } }'
JOIN = "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }"
SEND_TYPING = "mutation($c: ID!) { sendTyping(chatId: $c) }"
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { id } }"
GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"


async def test_a_blocked_users_typing_in_a_dm_does_not_reach_the_blocker(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    _, carol_id = register(server, "carol")
    chat = direct_chat(server, alice, bob_id)
    group = server.graphql(GROUP, {"input": {"userIds": [bob_id, carol_id]}}, alice)
    group_id = group["createGroupChat"]["id"]
    server.graphql(BLOCK, {"u": bob_id}, alice)
    async with socket(server, alice) as alice_ws, socket(server, bob) as bob_ws:
        await start(alice_ws, TYPING, {"chat": chat}, "dm")
        await start(bob_ws, TYPING, {"chat": chat}, "dm")
        assert server.graphql(SEND_TYPING, {"c": chat}, bob)["sendTyping"] is True
        assert await next_message(alice_ws, 1.0) is None
        # The blocker's own typing still reaches the blocked user.
        assert server.graphql(SEND_TYPING, {"c": chat}, alice)["sendTyping"] is True
        assert (await next_event(bob_ws, "chatEvents"))["user"] == {"tag": "alice"}
        # In a group, the blocked user's typing is delivered like their messages.
        await start(alice_ws, TYPING, {"chat": group_id}, "group")
        assert server.graphql(SEND_TYPING, {"c": group_id}, bob)["sendTyping"] is True
        message = await next_message(alice_ws)
        assert message is not None and message["id"] == "group", message
        assert message["payload"]["data"]["chatEvents"]["user"] == {"tag": "bob"}


async def test_presence_events_do_not_reach_strangers_or_the_blocked(server: Server) -> None:
    alice, alice_id = register(server, "alice")
    bob, bob_id = register(server, "bob")
    carol, _ = register(server, "carol")
    mallory, _ = register(server, "mallory")
    space = server.graphql(CREATE_SPACE, {}, carol)["createSpace"]["id"]
    for who in (alice, bob):
        server.graphql(JOIN, {"s": space}, who)
    server.graphql(GROUP, {"input": {"userIds": [alice_id]}}, carol)
    direct_chat(server, bob, alice_id)
    direct_chat(server, mallory, alice_id)  # opened by mallory: alice never took part
    server.graphql(BLOCK, {"u": bob_id}, alice)
    async with (
        socket(server, carol) as carol_ws,
        socket(server, bob) as bob_ws,
        socket(server, mallory) as mallory_ws,
    ):
        await start(carol_ws, PRESENCE, {"space": space}, "space")
        await start(carol_ws, PRESENCE, {}, "chats")
        await start(bob_ws, PRESENCE, {"space": space}, "space")
        await start(bob_ws, PRESENCE, {}, "chats")
        await start(mallory_ws, PRESENCE, {}, "chats")
        server.graphql(HEARTBEAT, {}, alice)
        heard: dict[str, object] = {}
        for _ in range(2):
            message = await next_message(carol_ws)
            assert message is not None and message["type"] == "next", message
            heard[message["id"]] = message["payload"]["data"]["presence"]
        came = {"status": "ONLINE", "user": {"tag": "alice", "status": "ONLINE"}}
        assert heard == {"space": came, "chats": came}
        # bob (blocked, in the space and in a DM with alice) and mallory hear nothing.
        assert await next_message(bob_ws, 1.0) is None
        assert await next_message(mallory_ws, 0.2) is None
