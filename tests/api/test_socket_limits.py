"""WebSocket limits against real server processes: the frame size, sockets per user,
operations per socket, and how fast a user may open sockets and start subscriptions."""

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from app.body_limit import JSON_BODY_LIMIT
from graphql_schema.ids import to_global_id
from tests.backends import Backend
from tests.live import (
    LEGACY_PROTOCOL,
    NEW_MESSAGES,
    PROTOCOL,
    closed_with,
    direct_chat,
    next_message,
    register,
    socket,
)
from tests.servers import Server, running_server

MISSING_CHAT = to_global_id("Chat", 999_999)
PROTOCOLS = pytest.mark.parametrize("protocol", [PROTOCOL, LEGACY_PROTOCOL])
# The message types of each protocol: (subscribe, unsubscribe, a result).
VERBS = {PROTOCOL: ("subscribe", "complete", "next"), LEGACY_PROTOCOL: ("start", "stop", "data")}


def init(token: str) -> str:
    return json.dumps({"type": "connection_init", "payload": {"token": token}})


def subscribe(protocol: str, operation_id: str, chat: str) -> str:
    payload = {"query": NEW_MESSAGES, "variables": {"chat": chat}}
    return json.dumps({"id": operation_id, "type": VERBS[protocol][0], "payload": payload})


async def connected(server: Server, token: str, protocol: str = PROTOCOL) -> Any:
    """An acknowledged socket (the caller closes it)."""
    ws = await websockets.connect(server.ws_url, subprotocols=[protocol])
    await ws.send(init(token))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ack["type"] == "connection_ack", ack
    return ws


@contextlib.asynccontextmanager
async def sockets_of(server: Server, token: str, count: int) -> AsyncIterator[list[Any]]:
    opened: list[Any] = []
    try:
        for _ in range(count):
            opened.append(await connected(server, token))
        yield opened
    finally:
        await asyncio.gather(*(ws.close() for ws in opened))


async def refused(server: Server, token: str, protocol: str) -> tuple[int, str]:
    """How the server closes a socket whose connection_init it refuses."""
    async with websockets.connect(server.ws_url, subprotocols=[protocol]) as ws:
        await ws.send(init(token))
        if protocol == LEGACY_PROTOCOL:  # this protocol says so first
            error = await next_message(ws)
            assert error is not None and error["type"] == "connection_error", error
        return await closed_with(ws)


def error_of(message: dict[str, Any] | None, operation_id: str) -> dict[str, Any]:
    """The GraphQL error of an `error` message (a list of them in graphql-transport-ws)."""
    assert message is not None and message["type"] == "error", message
    assert message["id"] == operation_id, message
    payload = message["payload"]
    error: dict[str, Any] = payload[0] if isinstance(payload, list) else payload
    return error


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


# --- sockets per user ------------------------------------------------------------------------


@PROTOCOLS
async def test_the_twenty_first_socket_of_a_user_is_refused_with_4430_not_another_user_s(
    server: Server, protocol: str
) -> None:
    alice, _ = register(server, "alice")
    bob, _ = register(server, "bob")
    async with sockets_of(server, alice, 20):
        closed = await refused(server, alice, protocol)
        assert closed == (4430, "Too many sockets open for this user")
        async with sockets_of(server, bob, 1):
            pass


async def test_closing_one_of_a_user_s_sockets_frees_a_slot(server: Server) -> None:
    alice, _ = register(server, "alice")
    async with sockets_of(server, alice, 20) as open_sockets:
        await open_sockets.pop().close()
        # The server hears of the close a moment after the client has it: retry until then.
        deadline = asyncio.get_running_loop().time() + 5
        while True:
            ws = await websockets.connect(server.ws_url, subprotocols=[PROTOCOL])
            open_sockets.append(ws)
            await ws.send(init(alice))
            with contextlib.suppress(ConnectionClosed):
                if await next_message(ws) == {"type": "connection_ack"}:
                    break
            assert ws.close_code == 4430, ws.close_code
            assert asyncio.get_running_loop().time() < deadline, "the slot never came free"
            await asyncio.sleep(0.05)


# --- operations per socket -------------------------------------------------------------------


@PROTOCOLS
async def test_an_operation_over_the_socket_s_cap_gets_an_error_and_the_socket_stays_open(
    backend: Backend, tmp_path: Path, protocol: str
) -> None:
    with running_server(backend, tmp_path, MAX_SUBSCRIPTIONS_PER_SOCKET="3") as server:
        alice, _ = register(server, "alice")
        _, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        ws = await connected(server, alice, protocol)
        try:
            for number in "123":
                await ws.send(subscribe(protocol, number, chat))
            await ws.send(subscribe(protocol, "4", chat))
            error = error_of(await next_message(ws), "4")
            assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error
            assert "At most 3 operations" in error["message"]

            _, unsubscribe, result = VERBS[protocol]
            await ws.send(json.dumps({"id": "1", "type": unsubscribe}))
            await ws.send(subscribe(protocol, "5", MISSING_CHAT))  # runs: answered NOT_FOUND
            answer = await next_message(ws)
            while answer is not None and answer.get("id") == "1":  # the legacy stop's complete
                answer = await next_message(ws)
            assert answer is not None and answer["type"] == result, answer
            assert answer["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        finally:
            await ws.close()


# --- rates: sockets opened, subscriptions started --------------------------------------------


@pytest.fixture
def limited(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    env = {"SOCKET_RATE_LIMIT": "3/minute", "SUBSCRIPTION_RATE_LIMIT": "3/minute"}
    with running_server(backend, tmp_path, **env) as running:
        yield running


RETRY_IN = re.compile(r"Too many new sockets; retry in (\d+) s")


@PROTOCOLS
async def test_a_user_opening_sockets_too_fast_is_refused_with_4431_saying_when_to_retry(
    limited: Server, protocol: str
) -> None:
    alice, _ = register(limited, "alice")
    bob, _ = register(limited, "bob")
    for _ in range(3):  # opened and closed: it is the opening that counts
        await (await connected(limited, alice, protocol)).close()
    code, reason = await refused(limited, alice, protocol)
    assert code == 4431
    retry = RETRY_IN.fullmatch(reason)
    assert retry is not None and 1 <= int(retry[1]) <= 60, reason
    await (await connected(limited, bob, protocol)).close()


@PROTOCOLS
async def test_subscriptions_started_too_fast_get_rate_limited_and_the_socket_stays_open(
    limited: Server, protocol: str
) -> None:
    alice, _ = register(limited, "alice")
    bob, _ = register(limited, "bob")
    _, _, result = VERBS[protocol]
    ws = await connected(limited, alice, protocol)
    other = await connected(limited, alice, protocol)
    try:
        for number in "12":
            await ws.send(subscribe(protocol, number, MISSING_CHAT))
        await other.send(subscribe(protocol, "3", MISSING_CHAT))  # the same user's
        for socket_, count in ((ws, 2), (other, 1)):
            answers = [await next_message(socket_) for _ in range(2 * count)]
            assert [a["type"] for a in answers if a] == [result, "complete"] * count, answers
        await ws.send(subscribe(protocol, "4", MISSING_CHAT))
        error = error_of(await next_message(ws), "4")
        assert error["extensions"]["code"] == "RATE_LIMITED", error
        assert 1 <= error["extensions"]["retryAfter"] <= 60, error
        await ws.send(subscribe(protocol, "5", MISSING_CHAT))  # still open, still limited
        assert error_of(await next_message(ws), "5")["extensions"]["code"] == "RATE_LIMITED"
        bobs = await connected(limited, bob, protocol)
        try:
            await bobs.send(subscribe(protocol, "1", MISSING_CHAT))
            answer = await next_message(bobs)
            assert answer is not None and answer["type"] == result, answer
        finally:
            await bobs.close()
    finally:
        await ws.close()
        await other.close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_processes_sharing_redis_share_the_socket_rate(
    backend: Backend, tmp_path: Path
) -> None:
    env = {"SOCKET_RATE_LIMIT": "3/minute", "REDIS_NAMESPACE": f"test-{uuid.uuid4().hex}"}
    with (
        running_server(backend, tmp_path, **env) as first,
        running_server(backend, tmp_path, **env) as second,
    ):
        alice, _ = register(first, "alice")
        for server in (first, first, second):
            await (await connected(server, alice)).close()
        code, _ = await refused(second, alice, PROTOCOL)
        assert code == 4431
