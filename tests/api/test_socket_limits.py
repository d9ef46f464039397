"""WebSocket limits against real server processes."""

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from app.body_limit import JSON_BODY_LIMIT
from tests.backends import Backend
from tests.live import (
    LEGACY_PROTOCOL,
    NEW_MESSAGES,
    PROTOCOL,
    closed_with,
    next_message,
    register,
    socket,
)
from tests.servers import Server, running_server

# The message types of each protocol: (subscribe, unsubscribe, a result).
VERBS = {PROTOCOL: ("subscribe", "complete", "next"), LEGACY_PROTOCOL: ("start", "stop", "data")}


def subscribe(protocol: str, operation_id: str, chat: str) -> str:
    payload = {"query": NEW_MESSAGES, "variables": {"chat": chat}}
    return json.dumps({"id": operation_id, "type": VERBS[protocol][0], "payload": payload})


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    with running_server(backend, tmp_path) as running:
        yield running


# --- frame size ------------------------------------------------------------------------------


async def test_a_frame_over_a_mebibyte_closes_the_socket_with_1009_and_others_are_served(
    server: Server,
) -> None:
    alice, _ = register(server, "alice")
    huge = {"query": "subscription { " + "a " * (15 * JSON_BODY_LIMIT // 2) + "}"}
    async with socket(server, alice) as ws:
        with contextlib.suppress(ConnectionClosed):  # the server may close while it is sent
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": huge}))
        code, _ = await closed_with(ws, wait=2)
        assert code == 1009
    async with socket(server, alice) as other:
        await other.send(json.dumps({"type": "ping"}))
        assert await next_message(other, 1) == {"type": "pong"}


async def test_a_frame_just_under_a_mebibyte_is_read_and_answered(server: Server) -> None:
    alice, _ = register(server, "alice")
    chat = "x" * (JSON_BODY_LIMIT - 1000)  # an id no chat has: answered, not refused unread
    async with socket(server, alice) as ws:
        await ws.send(subscribe(PROTOCOL, "1", chat))
        answer = await next_message(ws)
        assert answer is not None and answer["id"] == "1", answer
