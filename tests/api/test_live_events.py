"""Membership changes and myEvents over real WebSocket clients, on both backends."""

from typing import Any

import pytest

from tests.live import (
    SEND,
    direct_chat,
    next_event,
    next_message,
    register,
    send,
    send_operation,
    socket,
    start,
)
from tests.servers import Server

CHAT_EVENTS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        __typename
        ... on MessageCreated { message { content } }
        ... on MembershipChanged { change user { tag } space { id } chat { id } }
    }
}"""
MY_EVENTS = """subscription {
    myEvents {
        __typename
        ... on MessageCreated { message { id content chat { id } } }
        ... on MessageUpdated { message { id content } }
        ... on MessageDeleted { messageId chatId message { id content deletedAt } }
        ... on NotificationCreated { notification { kind actor { tag } message { content } } }
        ... on MembershipChanged { change user { tag } space { id } chat { id } }
    }
}"""
CREATE_SPACE = """mutation {
    createSpace(input: {name: "Lounge", isPublic: true}) {
        id channels { id } roles { id isDefault }
    }
}"""
JOIN = "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }"


def lounge(server: Server, owner: str, *members: str) -> dict[str, Any]:
    """A public space of `owner` joined by `members`: its id, #general and default role."""
    space = server.graphql(CREATE_SPACE, token=owner)["createSpace"]
    for member in members:
        server.graphql(JOIN, {"s": space["id"]}, member)
    default_role = next(role["id"] for role in space["roles"] if role["isDefault"])
    return {"id": space["id"], "general": space["channels"][0]["id"], "everyone": default_role}


REMOVALS = {
    "kick": 'mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u, reason: "x") }',
    "ban": "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { createdAt } }",
}


@pytest.mark.parametrize("removal", ["kick", "ban", "leave", "lose VIEW_CHANNELS"])
async def test_a_member_who_loses_access_stops_receiving_channel_events_at_once(
    server: Server, removal: str
) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    space = lounge(server, alice, bob)
    async with socket(server, bob) as ws:
        await start(ws, CHAT_EVENTS, {"chat": space["general"]})
        send(server, alice, space["general"], "before")
        assert (await next_event(ws, "chatEvents"))["message"] == {"content": "before"}
        if removal in REMOVALS:
            server.graphql(REMOVALS[removal], {"s": space["id"], "u": bob_id}, alice)
        elif removal == "leave":
            server.graphql("mutation($s: ID!) { leaveSpace(spaceId: $s) }", {"s": space["id"]}, bob)
        else:
            update = """mutation($r: ID!) {
                updateRole(roleId: $r, input: {name: "everyone", permissions: [SEND_MESSAGES]}) {
                    id
                }
            }"""
            server.graphql(update, {"r": space["everyone"]}, alice)
        # The subscription ends at once, not when the next message happens to arrive.
        ended = await next_message(ws, 3.0)
        assert ended == {"id": "1", "type": "complete"}, ended
        send(server, alice, space["general"], "after")
        assert await next_message(ws, 1.0) is None


async def test_channel_readers_see_members_join_and_get_kicked(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    carol, carol_id = register(server, "carol")
    space = lounge(server, alice, bob)
    async with socket(server, bob) as ws:
        await start(ws, CHAT_EVENTS, {"chat": space["general"]})
        server.graphql(JOIN, {"s": space["id"]}, carol)
        joined = await next_event(ws, "chatEvents")
        assert joined == {
            "__typename": "MembershipChanged",
            "change": "JOINED",
            "user": {"tag": "carol"},
            "space": {"id": space["id"]},
            "chat": {"id": space["general"]},
        }
        server.graphql(REMOVALS["kick"], {"s": space["id"], "u": carol_id}, alice)
        kicked = await next_event(ws, "chatEvents")
        assert (kicked["change"], kicked["user"]) == ("KICKED", {"tag": "carol"})


async def test_group_readers_see_participants_added_and_leaving(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    carol, carol_id = register(server, "carol")
    create = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
    group = server.graphql(create, {"ids": [bob_id]}, alice)["createGroupChat"]["id"]
    add = "mutation($c: ID!, $u: ID!) { addChatParticipant(chatId: $c, userId: $u) { id } }"
    async with socket(server, bob) as bob_ws, socket(server, carol) as carol_ws:
        await start(bob_ws, CHAT_EVENTS, {"chat": group})
        await start(carol_ws, MY_EVENTS)
        server.graphql(add, {"c": group, "u": carol_id}, alice)
        added = {"change": "JOINED", "user": {"tag": "carol"}, "space": None, "chat": {"id": group}}
        assert await next_event(bob_ws, "chatEvents") == {
            "__typename": "MembershipChanged",
            **added,
        }
        assert await next_event(carol_ws, "myEvents") == {
            "__typename": "MembershipChanged",
            **added,
        }
        server.graphql("mutation($c: ID!) { leaveChat(chatId: $c) }", {"c": group}, carol)
        left = await next_event(bob_ws, "chatEvents")
        assert (left["change"], left["user"]) == ("LEFT", {"tag": "carol"})
        assert (await next_event(carol_ws, "myEvents"))["change"] == "LEFT"
        send(server, alice, group, "carol is gone")
        assert (await next_event(bob_ws, "chatEvents"))["message"] == {"content": "carol is gone"}
        assert await next_message(carol_ws, 1.0) is None  # no longer hers to hear


async def test_my_events_carry_my_direct_chats_to_me_and_nobody_else(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    mallory, _ = register(server, "mallory")
    async with (
        socket(server, bob) as bob_ws,
        socket(server, alice) as alice_ws,
        socket(server, mallory) as mallory_ws,
    ):
        for ws in (bob_ws, alice_ws, mallory_ws):
            await start(ws, MY_EVENTS)
        chat = direct_chat(server, alice, bob_id)
        opened = await next_event(bob_ws, "myEvents")
        assert opened["change"] == "JOINED" and opened["chat"] == {"id": chat}
        assert (await next_event(alice_ws, "myEvents"))["change"] == "JOINED"
        message_id = send(server, alice, chat, "psst")
        created = {"id": message_id, "content": "psst", "chat": {"id": chat}}
        # The sender's other devices hear of it too.
        for ws in (bob_ws, alice_ws):
            assert await next_event(ws, "myEvents") == {
                "__typename": "MessageCreated",
                "message": created,
            }
        edit = 'mutation($id: ID!) { editMessage(id: $id, content: "psst!") { id } }'
        server.graphql(edit, {"id": message_id}, alice)
        for ws in (bob_ws, alice_ws):
            assert await next_event(ws, "myEvents") == {
                "__typename": "MessageUpdated",
                "message": {"id": message_id, "content": "psst!"},
            }
        delete = "mutation($id: ID!) { deleteMessage(id: $id) { id content deletedAt } }"
        tombstone = server.graphql(delete, {"id": message_id}, alice)["deleteMessage"]
        assert tombstone["content"] is None and tombstone["deletedAt"] is not None
        # The event carries the tombstone deleteMessage returned, so a cache that keys
        # Message by id updates it in place.
        for ws in (bob_ws, alice_ws):
            assert await next_event(ws, "myEvents") == {
                "__typename": "MessageDeleted",
                "messageId": message_id,
                "chatId": chat,
                "message": tombstone,
            }
        assert await next_message(mallory_ws, 1.0) is None


async def test_my_events_carry_notifications_and_changes_to_my_memberships(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    space = lounge(server, alice, bob)
    create_role = """mutation($s: ID!) {
        createRole(spaceId: $s, input: {name: "mod", position: 5}) { id }
    }"""
    role = server.graphql(create_role, {"s": space["id"]}, alice)["createRole"]["id"]
    async with socket(server, bob) as ws:
        await start(ws, MY_EVENTS)
        send(server, alice, space["general"], "no mention: not bob's business")
        send(server, alice, space["general"], "hey @bob")
        mention = await next_event(ws, "myEvents")
        assert mention == {
            "__typename": "NotificationCreated",
            "notification": {
                "kind": "MENTION",
                "actor": {"tag": "alice"},
                "message": {"content": "hey @bob"},
            },
        }
        assign = """mutation($s: ID!, $u: ID!, $r: ID!) {
            assignRole(spaceId: $s, userId: $u, roleId: $r) { joinedAt }
        }"""
        server.graphql(assign, {"s": space["id"], "u": bob_id, "r": role}, alice)
        assert (await next_event(ws, "myEvents"))["notification"]["kind"] == "ROLE_ASSIGNED"
        roles_changed = await next_event(ws, "myEvents")
        assert roles_changed == {
            "__typename": "MembershipChanged",
            "change": "ROLES_CHANGED",
            "user": {"tag": "bob"},
            "space": {"id": space["id"]},
            "chat": None,
        }
        server.graphql(REMOVALS["kick"], {"s": space["id"], "u": bob_id}, alice)
        assert (await next_event(ws, "myEvents"))["notification"]["kind"] == "KICKED"
        kicked = await next_event(ws, "myEvents")
        assert (kicked["change"], kicked["space"]) == ("KICKED", {"id": space["id"]})
        assert await next_message(ws, 1.0) is None


async def test_queries_and_mutations_work_over_the_socket_too(server: Server) -> None:
    """graphql-ws clients may send every operation over their one socket."""
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, bob) as bob_ws, socket(server, alice) as alice_ws:
        await start(bob_ws, MY_EVENTS)
        await send_operation(alice_ws, "query { me { tag } }", operation_id="q")
        assert (await next_message(alice_ws)) == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"me": {"tag": "alice"}}},
        }
        assert (await next_message(alice_ws)) == {"id": "q", "type": "complete"}
        await send_operation(
            alice_ws, SEND, {"chat": chat, "content": "by socket"}, operation_id="m"
        )
        sent = await next_event(alice_ws, "sendMessage")
        assert (await next_message(alice_ws)) == {"id": "m", "type": "complete"}
        created = await next_event(bob_ws, "myEvents")  # published once committed
        assert created["message"]["id"] == sent["id"]
        await send_operation(alice_ws, SEND, {"chat": chat, "content": ""}, operation_id="bad")
        refused = await next_message(alice_ws)
        assert refused is not None
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert await next_message(bob_ws, 1.0) is None


@pytest.mark.parametrize("deleted", ["channel", "space"])
async def test_streams_of_a_deleted_channel_end(server: Server, deleted: str) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    space = lounge(server, alice, bob)
    async with socket(server, bob) as ws:
        await start(ws, CHAT_EVENTS, {"chat": space["general"]})
        if deleted == "channel":
            drop = "mutation($c: ID!) { deleteChannel(chatId: $c) }"
            server.graphql(drop, {"c": space["general"]}, alice)
        else:
            server.graphql("mutation($s: ID!) { deleteSpace(id: $s) }", {"s": space["id"]}, alice)
        assert await next_message(ws, 3.0) == {"id": "1", "type": "complete"}


async def test_a_chat_one_has_left_shows_only_its_id_in_the_left_event(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    carol, carol_id = register(server, "carol")
    create = """mutation($ids: [ID!]!) {
        createGroupChat(input: {title: "plans", userIds: $ids}) { id }
    }"""
    group = server.graphql(create, {"ids": [bob_id, carol_id]}, alice)["createGroupChat"]["id"]
    send(server, alice, group, "before carol left")
    fields = """change chat {
        id title topic space { id } unreadCount lastMessage { content } participants { tag }
    }"""
    mine = f"subscription {{ myEvents {{ ... on MembershipChanged {{ {fields} }} }} }}"
    chat_events = f"""subscription($chat: ID!) {{
        chatEvents(chatId: $chat) {{ ... on MembershipChanged {{ {fields} }} }}
    }}"""
    async with socket(server, carol) as carol_ws, socket(server, bob) as bob_ws:
        await start(carol_ws, mine)
        await start(bob_ws, chat_events, {"chat": group})
        server.graphql("mutation($c: ID!) { leaveChat(chatId: $c) }", {"c": group}, carol)
        left = await next_event(carol_ws, "myEvents")
        seen_by_bob = await next_event(bob_ws, "chatEvents")
    assert left == {
        "change": "LEFT",
        "chat": {
            "id": group,
            "title": None,
            "topic": None,
            "space": None,
            "unreadCount": 0,
            "lastMessage": None,
            "participants": [],
        },
    }
    assert seen_by_bob["chat"]["title"] == "plans"  # still a reader: the whole chat
    assert seen_by_bob["chat"]["lastMessage"] == {"content": "before carol left"}
    assert [p["tag"] for p in seen_by_bob["chat"]["participants"]] == ["alice", "bob"]
