"""One event is executed once for every subscriber whose selection is the same, and sent to
each as the same frame, except where the selection depends on who asks; rights stay each
subscriber's own, checked per event. Real WebSocket clients, both backends."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Backend
from tests.live import (
    legacy_socket,
    listening,
    next_event,
    next_message,
    register,
    send,
    socket,
    start,
)
from tests.servers import Server, running_server

CREATE_SPACE = """mutation {
    createSpace(input: {name: "Lounge", isPublic: true}) { id channels { id } }
}"""
JOIN = "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }"
KICK = 'mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u, reason: "x") }'
REACT = 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }'
CONTENT = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { ... on MessageCreated { message { id content author { tag } } } }
}"""
REACTIONS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        ... on ReactionChanged { message { reactions { emoji count reactedByMe } } }
    }
}"""
CAPABILITIES = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) {
        ... on MessageCreated { message { viewerCanEdit viewerCanDelete viewerCanReact } }
    }
}"""
EXECUTED = "executed ('execution'"  # the debug line of each shared execution


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    with running_server(backend, tmp_path, LOG_LEVEL="DEBUG") as running:
        yield running


def lounge(server: Server, owner: str, *members: str) -> tuple[str, str]:
    """A public space of `owner` joined by `members`: its id and its first channel's."""
    space = server.graphql(CREATE_SPACE, token=owner)["createSpace"]
    for member in members:
        server.graphql(JOIN, {"s": space["id"]}, member)
    return space["id"], space["channels"][0]["id"]


async def executions(server: Server, expected: int) -> int:
    """How many shared executions the server has logged, once `expected` are (or 2 s)."""
    for _ in range(20):
        if server.output().count(EXECUTED) >= expected:
            break
        await asyncio.sleep(0.1)
    return server.output().count(EXECUTED)


async def raw_next(ws: Any, wait: float = 5.0) -> str:
    """The next frame as sent, skipping legacy keep-alives."""
    while True:
        frame: str = await asyncio.wait_for(ws.recv(), wait)
        if json.loads(frame)["type"] != "ka":
            return frame


async def test_each_viewer_gets_their_own_reacted_by_me(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    _, channel = lounge(server, alice, bob)
    message = send(server, alice, channel, "react to me")
    async with socket(server, alice) as alice_ws, socket(server, bob) as bob_ws:
        await start(alice_ws, REACTIONS, {"chat": channel})
        await start(bob_ws, REACTIONS, {"chat": channel})
        server.graphql(REACT, {"m": message}, alice)
        seen_by_alice = await next_event(alice_ws, "chatEvents")
        seen_by_bob = await next_event(bob_ws, "chatEvents")
    mine = {"emoji": "👍", "count": 1, "reactedByMe": True}
    assert seen_by_alice == {"message": {"reactions": [mine]}}
    assert seen_by_bob == {"message": {"reactions": [{**mine, "reactedByMe": False}]}}
    assert await executions(server, 2) == 2  # one per viewer


async def test_each_viewer_gets_their_own_capabilities(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    _, channel = lounge(server, alice, bob)
    async with socket(server, alice) as alice_ws, socket(server, bob) as bob_ws:
        await start(alice_ws, CAPABILITIES, {"chat": channel})
        await start(bob_ws, CAPABILITIES, {"chat": channel})
        send(server, bob, channel, "mine to change")
        seen_by_alice = await next_event(alice_ws, "chatEvents")
        seen_by_bob = await next_event(bob_ws, "chatEvents")
    # bob wrote it; alice owns the space: she may delete it, never edit it.
    assert seen_by_bob == {
        "message": {"viewerCanEdit": True, "viewerCanDelete": True, "viewerCanReact": True}
    }
    assert seen_by_alice == {
        "message": {"viewerCanEdit": False, "viewerCanDelete": True, "viewerCanReact": True}
    }
    assert await executions(server, 2) == 2  # one per viewer


async def test_an_independent_selection_is_executed_once_and_sent_as_the_same_frame(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    carol, _ = register(server, "carol")
    _, channel = lounge(server, alice, bob, carol)
    async with socket(server, alice) as a, socket(server, bob) as b, socket(server, carol) as c:
        for ws in (a, b, c):
            await start(ws, CONTENT, {"chat": channel})
        send(server, alice, channel, "hello all")
        frames = [await raw_next(ws) for ws in (a, b, c)]
    assert frames[0] == frames[1] == frames[2]
    message = json.loads(frames[0])
    assert message["id"] == "1" and message["type"] == "next"
    created = message["payload"]["data"]["chatEvents"]["message"]
    assert created["content"] == "hello all" and created["author"] == {"tag": "alice"}
    assert await executions(server, 1) == 1


async def test_both_protocols_share_one_execution_each_with_its_own_frame_and_id(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    _, channel = lounge(server, alice, bob)
    async with socket(server, alice) as modern, legacy_socket(server, bob) as legacy:
        await start(modern, CONTENT, {"chat": channel}, operation_id="modern-7")
        payload = {"query": CONTENT, "variables": {"chat": channel}}
        async with listening(legacy):
            await legacy.send(json.dumps({"id": "legacy-3", "type": "start", "payload": payload}))
        send(server, alice, channel, "to both")
        next_frame = json.loads(await raw_next(modern))
        data_frame = json.loads(await raw_next(legacy))
    assert {k: v for k, v in next_frame.items() if k != "payload"} == {
        "id": "modern-7",
        "type": "next",
    }
    assert {k: v for k, v in data_frame.items() if k != "payload"} == {
        "id": "legacy-3",
        "type": "data",
    }
    assert next_frame["payload"] == data_frame["payload"]
    assert next_frame["payload"]["data"]["chatEvents"]["message"]["content"] == "to both"
    assert await executions(server, 1) == 1


async def test_a_viewer_removed_from_the_chat_stops_receiving_while_the_others_share_on(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    carol, _ = register(server, "carol")
    space, channel = lounge(server, alice, bob, carol)
    async with socket(server, alice) as a, socket(server, bob) as b, socket(server, carol) as c:
        for ws in (a, b, c):
            await start(ws, CONTENT, {"chat": channel})
        send(server, alice, channel, "before")
        for ws in (a, b, c):
            assert (await next_event(ws, "chatEvents"))["message"]["content"] == "before"
        server.graphql(KICK, {"s": space, "u": bob_id}, alice)
        assert await next_message(b, 3.0) == {"id": "1", "type": "complete"}
        for ws in (a, c):  # the kick itself, a MembershipChanged this selection leaves empty
            assert await next_event(ws, "chatEvents") == {}
        send(server, alice, channel, "after")
        for ws in (a, c):
            assert (await next_event(ws, "chatEvents"))["message"]["content"] == "after"
        assert await next_message(b, 1.0) is None
