"""graphql-transport-ws close codes (and the legacy protocol's where they differ), 1001 on
shutdown, and what a socket leaves behind, against a real server process."""

import asyncio
import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.backends import Backend
from tests.live import (
    LEGACY_PROTOCOL,
    PROTOCOL,
    closed_with,
    direct_chat,
    legacy_socket,
    next_message,
    register,
    send_operation,
    socket,
    start,
)
from tests.servers import Server, running_server

EVENTS = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { ... on MessageCreated { message { content } } }
}"""
STATUS = "query($id: ID!) { user(id: $id) { status } }"


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    with running_server(backend, tmp_path, CONNECTION_INIT_TIMEOUT_SECONDS="1") as running:
        yield running


async def test_no_connection_init_in_time_closes_with_4408(server: Server) -> None:
    async with websockets.connect(server.ws_url, subprotocols=[PROTOCOL]) as ws:
        assert await closed_with(ws) == (4408, "Connection initialisation timeout")


async def test_a_second_connection_init_closes_with_4429(server: Server) -> None:
    token, _ = register(server, "alice")
    async with socket(server, token) as ws:
        init = {"type": "connection_init", "payload": {"token": token}}
        await ws.send(json.dumps(init))
        assert await closed_with(ws) == (4429, "Too many initialisation requests")


async def test_a_second_connection_init_on_the_legacy_protocol_closes_with_4429(
    server: Server,
) -> None:
    token, _ = register(server, "alice")
    async with legacy_socket(server, token) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert await closed_with(ws) == (4429, "Too many initialisation requests")


@pytest.mark.parametrize(
    "message",
    [{"type": "start", "id": "1"}, {"type": "start"}, {"type": "start", "id": "1", "payload": {}}],
)
async def test_a_malformed_start_on_the_legacy_protocol_closes_with_4400(
    server: Server, message: dict[str, object]
) -> None:
    token, _ = register(server, "alice")
    async with legacy_socket(server, token) as ws:
        await ws.send(json.dumps(message))
        assert await closed_with(ws) == (4400, "Failed to parse message")
    assert "Traceback" not in server.output(), server.output()


def watcher_of(server: Server, token: str) -> str:
    """A user who may see the presence of the user of `token` (who opened a DM with them)."""
    watcher, watcher_id = register(server, "bob")
    direct_chat(server, token, watcher_id)
    return watcher


def status(server: Server, user_id: str, viewer: str) -> str:
    value: str = server.graphql(STATUS, {"id": user_id}, viewer)["user"]["status"]
    return value


async def eventually_offline(server: Server, user_id: str, viewer: str) -> None:
    """Fails unless the user shows OFFLINE within 5 s (the presence TTL is 60 s: only a
    released connection ends this soon)."""
    deadline = asyncio.get_running_loop().time() + 5
    while status(server, user_id, viewer) != "OFFLINE":
        assert asyncio.get_running_loop().time() < deadline, server.output()
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("protocol", [PROTOCOL, LEGACY_PROTOCOL])
async def test_a_socket_that_sent_connection_init_twice_leaves_its_user_offline_once_closed(
    server: Server, protocol: str
) -> None:
    alice, alice_id = register(server, "alice")
    bob = watcher_of(server, alice)
    init = json.dumps({"type": "connection_init", "payload": {"token": alice}})
    async with websockets.connect(server.ws_url, subprotocols=[protocol]) as ws:
        await ws.send(init)
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        assert status(server, alice_id, bob) == "ONLINE"
        await ws.send(init)
        with contextlib.suppress(ConnectionClosed):  # whatever the server makes of it
            await next_message(ws, 1.0)
    await eventually_offline(server, alice_id, bob)


@pytest.mark.parametrize("protocol", [PROTOCOL, LEGACY_PROTOCOL])
async def test_sockets_closed_while_their_connection_init_is_handled_leave_no_one_online(
    server: Server, protocol: str
) -> None:
    alice, alice_id = register(server, "alice")
    bob = watcher_of(server, alice)
    init = json.dumps({"type": "connection_init", "payload": {"token": alice}})
    for _ in range(10):
        async with websockets.connect(server.ws_url, subprotocols=[protocol]) as ws:
            await ws.send(init)
            await ws.send(init)
        # closed at once, without waiting for an answer
    await eventually_offline(server, alice_id, bob)
    assert "Traceback" not in server.output(), server.output()


async def test_subscribing_before_connection_init_closes_with_4401(server: Server) -> None:
    async with websockets.connect(server.ws_url, subprotocols=[PROTOCOL]) as ws:
        payload = {"query": EVENTS, "variables": {"chat": "x"}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        assert await closed_with(ws) == (4401, "Unauthorized")


async def test_a_message_that_is_not_json_closes_with_4400(server: Server) -> None:
    token, _ = register(server, "alice")
    async with socket(server, token) as ws:
        await ws.send("{not json")
        assert await closed_with(ws) == (4400, "WebSocket message must be valid JSON")


async def test_reusing_an_active_subscription_id_closes_with_4409(server: Server) -> None:
    alice, _ = register(server, "alice")
    _, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, alice) as ws:
        await start(ws, EVENTS, {"chat": chat}, "same")
        await send_operation(ws, EVENTS, {"chat": chat}, "same")
        assert await closed_with(ws) == (4409, "Subscriber for same already exists")


async def test_an_id_is_free_again_once_its_subscription_completed(server: Server) -> None:
    alice, _ = register(server, "alice")
    _, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, alice) as ws:
        await start(ws, EVENTS, {"chat": chat}, "same")
        await ws.send(json.dumps({"id": "same", "type": "complete"}))
        await start(ws, EVENTS, {"chat": chat}, "same")
        await ws.send(json.dumps({"type": "ping"}))
        assert await next_message(ws) == {"type": "pong"}  # still open


async def test_shutdown_closes_open_sockets_with_1001(backend: Backend, tmp_path: Path) -> None:
    with running_server(backend, tmp_path) as server:
        alice, _ = register(server, "alice")
        _, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with socket(server, alice) as ws:
            await start(ws, EVENTS, {"chat": chat})
            server.process.terminate()
            assert await closed_with(ws, 10) == (1001, "Server shutting down")
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit after the sockets closed:\n{server.output()}")
        assert "Finished server process" in server.output(), server.output()
        assert "Traceback" not in server.output(), server.output()


async def test_per_message_deflate_is_declined_unless_configured(
    backend: Backend, tmp_path: Path
) -> None:
    """A compressing socket holds about 45 KB of zlib state: off unless the operator asks."""

    async def negotiated(server: Server) -> str | None:
        async with websockets.connect(
            server.ws_url, subprotocols=[PROTOCOL], compression="deflate"
        ) as ws:
            assert ws.response is not None
            extensions: str | None = ws.response.headers.get("Sec-WebSocket-Extensions")
            return extensions

    with running_server(backend, tmp_path) as server:
        assert await negotiated(server) is None
    with running_server(backend, tmp_path, WEBSOCKET_COMPRESSION="true") as server:
        assert (await negotiated(server) or "").startswith("permessage-deflate")
