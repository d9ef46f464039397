"""Blocking and presence privacy over real sockets: what must not reach whom."""

from tests.live import direct_chat, next_event, next_message, register, socket, start
from tests.servers import Server

TYPING = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { __typename ... on TypingStarted { user { tag } } }
}"""
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
