"""chatEvents over real WebSocket clients against a real server process, on both backends."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import delete, insert, literal, select
from websockets.exceptions import ConnectionClosed

from db import models
from db.session import create_engine
from graphql_schema.ids import pk_from_global_id
from tests.backends import Backend
from tests.live import (
    LEGACY_PROTOCOL,
    PROTOCOL,
    SEND,
    connect,
    direct_chat,
    listening,
    next_event,
    next_message,
    register,
    send,
    send_operation,
    socket,
    start,
)
from tests.servers import Server, running_server

EVENTS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        __typename
        ... on MessageCreated { message { id content author { tag } } }
        ... on MessageUpdated { message { id content editedAt } }
        ... on MessageDeleted { messageId chatId message { id content deletedAt } }
        ... on ReactionChanged { emoji added user { tag } message { id } }
        ... on TypingStarted { chatId user { tag } }
    }
}"""


async def subscribe(ws: Any, chat_id: str, operation_id: str = "1") -> None:
    await start(ws, EVENTS, {"chat": chat_id}, operation_id)


async def test_invalid_token_closes_the_socket_with_4403(server: Server) -> None:
    async with websockets.connect(server.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": "forged"}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "invalid token")


async def test_participant_receives_new_messages_edits_reactions_and_deletions(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, bob) as ws:
        await subscribe(ws, chat)
        sent = server.graphql(SEND, {"chat": chat, "content": "hello bob"}, alice)["sendMessage"]
        created = await next_message(ws)
        assert created is not None and created["type"] == "next", created
        event = created["payload"]["data"]["chatEvents"]
        assert event == {
            "__typename": "MessageCreated",
            "message": {"id": sent["id"], "content": "hello bob", "author": {"tag": "alice"}},
        }
        edit = 'mutation($id: ID!) { editMessage(id: $id, content: "hello, bob") { id } }'
        server.graphql(edit, {"id": sent["id"]}, alice)
        updated = await next_message(ws)
        assert updated is not None
        assert updated["payload"]["data"]["chatEvents"]["message"]["content"] == "hello, bob"
        react = 'mutation($id: ID!) { addReaction(messageId: $id, emoji: "👍") { id } }'
        server.graphql(react, {"id": sent["id"]}, alice)
        reaction = await next_message(ws)
        assert reaction is not None
        assert reaction["payload"]["data"]["chatEvents"] == {
            "__typename": "ReactionChanged",
            "emoji": "👍",
            "added": True,
            "user": {"tag": "alice"},
            "message": {"id": sent["id"]},
        }
        delete = "mutation($id: ID!) { deleteMessage(id: $id) { id content deletedAt } }"
        tombstone = server.graphql(delete, {"id": sent["id"]}, alice)["deleteMessage"]
        deleted = await next_message(ws)
        assert deleted is not None
        assert deleted["payload"]["data"]["chatEvents"] == {
            "__typename": "MessageDeleted",
            "messageId": sent["id"],
            "chatId": chat,
            "message": tombstone,
        }


async def test_outsider_cannot_subscribe_to_a_chat(server: Server) -> None:
    alice, _ = register(server, "alice")
    _, bob_id = register(server, "bob")
    mallory, _ = register(server, "mallory")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, mallory) as ws:
        await send_operation(ws, EVENTS, {"chat": chat})
        refused = await next_message(ws)
        assert refused is not None and refused["type"] == "next", refused
        assert refused["payload"]["data"] is None
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert await next_message(ws) == {"id": "1", "type": "complete"}
        server.graphql(SEND, {"chat": chat, "content": "secret"}, alice)
        assert await next_message(ws, 1.0) is None


async def test_leaving_a_group_stops_delivery_on_the_open_subscription(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    _, carol_id = register(server, "carol")
    group = "mutation($ids: [ID!]!) { createGroupChat(input: {userIds: $ids}) { id } }"
    chat = server.graphql(group, {"ids": [bob_id, carol_id]}, alice)["createGroupChat"]["id"]
    async with socket(server, bob) as ws:
        await subscribe(ws, chat)
        server.graphql(SEND, {"chat": chat, "content": "one"}, alice)
        first = await next_message(ws)
        assert first is not None and first["type"] == "next"
        server.graphql("mutation($c: ID!) { leaveChat(chatId: $c) }", {"c": chat}, bob)
        ended = await next_message(ws, 3.0)  # at once, not at the next message
        assert ended is not None and ended["type"] == "complete", ended
        server.graphql(SEND, {"chat": chat, "content": "after bob left"}, alice)
        assert await next_message(ws, 1.0) is None


async def test_legacy_graphql_ws_clients_are_served_too(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with await connect(server, LEGACY_PROTOCOL) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": bob}}))
        ack = await next_message(ws)
        assert ack is not None and ack["type"] == "connection_ack", ack
        start = {
            "id": "1",
            "type": "start",
            "payload": {"query": EVENTS, "variables": {"chat": chat}},
        }
        async with listening(ws):
            await ws.send(json.dumps(start))
        server.graphql(SEND, {"chat": chat, "content": "old school"}, alice)
        while (data := await next_message(ws)) is not None and data["type"] == "ka":
            pass
        assert data is not None and data["type"] == "data", data
        assert data["payload"]["data"]["chatEvents"]["message"]["content"] == "old school"


async def test_legacy_graphql_ws_refuses_a_bad_token(server: Server) -> None:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": "forged"}}))
        reply = await next_message(ws)
        assert reply is not None and reply["type"] == "connection_error", reply
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)


REPLAY = """subscription($chat: ID!, $after: String) {
    chatEvents(chatId: $chat, after: $after) {
        __typename ... on MessageCreated { message { id content } }
    }
}"""


async def test_after_replays_then_streams_live_without_gap_or_duplicate(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    for number in range(1, 6):
        server.graphql(SEND, {"chat": chat, "content": f"m{number}"}, alice)
    history = "query($c: ID!) { messages(chatId: $c, first: 2) { edges { cursor } } }"
    cursor = server.graphql(history, {"c": chat}, bob)["messages"]["edges"][1]["cursor"]
    async with socket(server, bob) as ws:
        subscribe_message = {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": REPLAY, "variables": {"chat": chat, "after": cursor}},
        }
        await ws.send(json.dumps(subscribe_message))
        # New messages race with the replay: none may be lost or repeated.
        for number in range(1, 4):
            await asyncio.to_thread(
                server.graphql, SEND, {"chat": chat, "content": f"n{number}"}, alice
            )
        received: list[str] = []
        while len(received) < 6 and (message := await next_message(ws)) is not None:
            assert message["type"] == "next", message
            received.append(message["payload"]["data"]["chatEvents"]["message"]["content"])
        assert received == ["m3", "m4", "m5", "n1", "n2", "n3"]
        assert await next_message(ws, 1.0) is None


async def test_a_message_committed_after_a_later_one_was_replayed_is_still_delivered(
    server: Server, backend: Backend
) -> None:
    """Ids are handed out before commit: on PostgreSQL a message can commit (and be
    published) after one with a higher id was already replayed. The replay skips only the
    ids it sent, not every id below the last one (which dropped such a message)."""
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    first = pk_from_global_id(send(server, alice, chat, "first"), "Message")
    history = "query($c: ID!) { messages(chatId: $c, first: 1) { edges { cursor } } }"
    cursor = server.graphql(history, {"c": chat}, bob)["messages"]["edges"][0]["cursor"]
    later = first + 1000  # committed before the subscription, with an id above the next one
    table = models.Message.__table__
    copied = [column for column in table.columns if column.name not in ("id", "content")]
    engine = create_engine(backend.database_url)
    try:
        async with engine.begin() as connection:
            copy = select(literal(later), literal("replayed"), *copied).where(table.c.id == first)
            await connection.execute(
                insert(table).from_select(["id", "content", *(c.name for c in copied)], copy)
            )
        async with socket(server, bob) as ws:
            variables = {"chat": chat, "after": cursor}
            payload = {"query": REPLAY, "variables": variables}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            assert (await next_event(ws, "chatEvents"))["message"]["content"] == "replayed"
            # Out of the way, so that SQLite too hands the next message a lower id.
            async with engine.begin() as connection:
                await connection.execute(delete(table).where(table.c.id == later))
            late = await asyncio.to_thread(send, server, alice, chat, "committed late")
            assert pk_from_global_id(late, "Message") < later
            assert (await next_event(ws, "chatEvents"))["message"]["content"] == "committed late"
    finally:
        await engine.dispose()


async def test_a_bad_after_cursor_is_bad_input(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, bob) as ws:
        payload = {"query": REPLAY, "variables": {"chat": chat, "after": "garbage!"}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        refused = await next_message(ws)
        assert refused is not None and refused["type"] == "next", refused
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_typing_reaches_the_others_at_most_once_per_three_seconds(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    mallory, _ = register(server, "mallory")
    chat = direct_chat(server, alice, bob_id)
    typing = "mutation($c: ID!) { sendTyping(chatId: $c) }"
    async with socket(server, bob) as bob_ws, socket(server, alice) as alice_ws:
        await subscribe(bob_ws, chat)
        await subscribe(alice_ws, chat)
        assert server.graphql(typing, {"c": chat}, alice)["sendTyping"] is True
        assert server.graphql(typing, {"c": chat}, alice)["sendTyping"] is False
        event = await next_message(bob_ws)
        assert event is not None
        assert event["payload"]["data"]["chatEvents"] == {
            "__typename": "TypingStarted",
            "chatId": chat,
            "user": {"tag": "alice"},
        }
        assert await next_message(bob_ws, 1.0) is None  # the throttled one never went out
        assert await next_message(alice_ws, 0.5) is None  # nor does the sender hear itself
    outsider = server.execute(typing, {"c": chat}, mallory)
    assert outsider["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_socket_ends_when_its_access_token_expires(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path, ACCESS_TOKEN_TTL_SECONDS="2") as short_lived:
        token, _ = register(short_lived, "alice")
        async with socket(short_lived, token) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 6)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "token expired")
