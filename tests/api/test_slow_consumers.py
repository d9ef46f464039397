"""A WebSocket client that stops reading is disconnected without slowing anyone else."""

import asyncio
import json
import signal
import socket as sockets
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import websockets
from redis import asyncio as redis
from websockets.exceptions import ConnectionClosed

from app.uvicorn_websocket import UNANSWERED_PINGS
from graphql_schema.ids import pk_from_global_id
from infra.outbox import chat_topic
from infra.sockets import CLOSE_TIMEOUT_SECONDS
from tests.backends import Backend
from tests.live import (
    NEW_MESSAGES,
    SEND,
    connect,
    direct_chat,
    next_message,
    register,
    send,
    socket,
    start,
)
from tests.servers import Server, running_server

QUEUE_SIZE = 10  # SUBSCRIBER_QUEUE_SIZE: how far a subscriber may fall behind
MAX_MESSAGES = 200  # enough to fill any network buffers there are (typically ~20 are)
AFTERWARDS = 10  # sent once the stalled client was cut off
CUT_OFF = "was cut off: Subscriber fell behind"  # in the server log
NO_PING_ANSWERED = "answered no ping (1013)"  # in the server log
# Big events fill the network buffers of a client that doesn't read: the server's sends to
# it block, and its subscription overflows. Each emoji is 12 bytes of escaped JSON, and the
# stalled client asks for the content 10 times: 480 KB an event.
CONTENT = "\N{GRINNING FACE}" * 3990
BIG_EVENTS = (
    "subscription($chat: ID!) { chatEvents(chatId: $chat) { ... on MessageCreated { message { "
    + " ".join(f"c{n}: content" for n in range(10))
    + " } } } }"
)


def alice_and_bob(server: Server) -> tuple[str, str, str]:
    """Alice's and Bob's access tokens, and their direct chat."""
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    return alice, bob, direct_chat(server, alice, bob_id)


async def stalled_socket(server: Server, token: str) -> websockets.ClientConnection:
    """A connected, initialised socket whose client buffers as little as it can."""
    raw = sockets.socket()
    raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    raw.setblocking(False)
    ws = await connect(server, sock=raw, max_queue=1, compression=None)
    init = {"type": "connection_init", "payload": {"token": token}}
    await ws.send(json.dumps(init))
    ack = await next_message(ws)
    assert ack is not None and ack["type"] == "connection_ack", ack
    return ws


async def read_until_closed(ws: Any, wait: float) -> tuple[list[str], ConnectionClosed]:
    """The types of the messages the socket still delivers, and how it ends (within `wait` s)."""
    types: list[str] = []
    async with asyncio.timeout(wait):
        while True:
            try:
                types.append(json.loads(await ws.recv())["type"])
            except ConnectionClosed as closed:
                return types, closed


async def test_a_client_that_stops_reading_is_cut_off_with_1013_and_others_get_everything(
    backend: Backend, tmp_path: Path
) -> None:
    env = {"SUBSCRIBER_QUEUE_SIZE": str(QUEUE_SIZE)}
    with running_server(backend, tmp_path, **env) as server:
        alice, bob, chat = alice_and_bob(server)
        stalled = await stalled_socket(server, bob)
        async with socket(server, bob) as reader:
            await start(stalled, BIG_EVENTS, {"chat": chat})  # never reads again, until the end
            await start(reader, NEW_MESSAGES, {"chat": chat})

            received: list[str] = []

            async def read() -> None:
                while True:
                    message = await next_message(reader)
                    assert message is not None and message["type"] == "next", message
                    event = message["payload"]["data"]["chatEvents"]
                    received.append(event["message"]["content"][len(CONTENT) :])

            reading = asyncio.create_task(read())
            sent = 0
            remaining = AFTERWARDS
            while remaining and sent < MAX_MESSAGES:
                variables = {"chat": chat, "content": f"{CONTENT}{sent}"}
                await asyncio.to_thread(server.graphql, SEND, variables, alice)
                sent += 1
                if CUT_OFF in server.output():
                    remaining -= 1
            assert CUT_OFF in server.output(), f"{sent} messages never filled the buffers"
            deadline = time.monotonic() + 2.0  # the reader stays within moments of the sender
            while len(received) < sent and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            reading.cancel()
            assert received == [str(n) for n in range(sent)]

        # Still not reading when the server gave up waiting for it to take the close frame,
        # the stalled client then finds what was in flight, and after it why it was closed.
        await asyncio.sleep(CLOSE_TIMEOUT_SECONDS + 1)
        delivered, closed = await read_until_closed(stalled, 10)
        assert len(delivered) < sent - AFTERWARDS
        assert set(delivered) == {"next"}  # neither an error nor "complete"
        assert closed.rcvd is not None, "the connection ended without a close frame"
        assert closed.rcvd.code == 1013, closed


TYPING = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { ... on TypingStarted { user { tag } } }
}"""
BURST = 200


async def burst(backend: Backend, namespace: str, chat: str, user: str) -> None:
    """BURST TypingStarted events on the chat, published at once (as infra.events would)."""
    chat_pk = pk_from_global_id(chat, "Chat")
    event = {"kind": "TypingStarted", "chatId": chat_pk, "userId": pk_from_global_id(user, "User")}
    client = redis.Redis.from_url(backend.broadcast_url)
    try:
        async with client.pipeline(transaction=False) as pipeline:
            for _ in range(BURST):
                pipeline.publish(f"{namespace}:{chat_topic(chat_pk)}", json.dumps(event))
            await pipeline.execute()
    finally:
        await client.aclose()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_reader_swamped_by_a_burst_is_closed_with_1013(
    backend: Backend, tmp_path: Path
) -> None:
    """A client that reads, but slower than events arrive, gets the close frame."""
    namespace = f"test-{uuid.uuid4().hex}"
    env = {"SUBSCRIBER_QUEUE_SIZE": str(QUEUE_SIZE), "REDIS_NAMESPACE": namespace}
    with running_server(backend, tmp_path, **env) as server:
        alice, alice_id = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with socket(server, bob) as ws:
            await start(ws, TYPING, {"chat": chat})
            await burst(backend, namespace, chat, alice_id)
            delivered, closed = await read_until_closed(ws, 5)
    assert closed.rcvd is not None, closed
    assert (closed.rcvd.code, closed.rcvd.reason) == (
        1013,
        "Subscriber fell behind; resubscribe with after",
    )
    assert len(delivered) < BURST
    assert set(delivered) <= {"next"}  # the subscription didn't end as if complete


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_stalled_client_does_not_hold_the_shutdown_past_its_timeout(
    backend: Backend, tmp_path: Path
) -> None:
    env = {"SUBSCRIBER_QUEUE_SIZE": str(QUEUE_SIZE), "SHUTDOWN_TIMEOUT_SECONDS": "2"}
    with running_server(backend, tmp_path, **env) as server:
        alice, bob, chat = alice_and_bob(server)
        stalled = await stalled_socket(server, bob)
        await start(stalled, BIG_EVENTS, {"chat": chat})  # and never reads again
        for sent in range(MAX_MESSAGES):
            variables = {"chat": chat, "content": f"{CONTENT}{sent}"}
            await asyncio.to_thread(server.graphql, SEND, variables, alice)
            if CUT_OFF in server.output():
                break
        assert CUT_OFF in server.output(), "the buffers never filled"
        server.process.terminate()
        # Without the timeout, the connection that can't drain would keep it running.
        exit_code = await asyncio.to_thread(server.process.wait, 10)
        assert exit_code in (0, -signal.SIGTERM), server.output()  # uvicorn re-raises it
        await stalled.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_client_that_stops_answering_pings_is_closed_with_1013(
    backend: Backend, tmp_path: Path
) -> None:
    """Before its queue fills (events come slowly), a client that stopped reading misses the
    keepalive pings: it is told to resume with `after`, not that the server failed (1011)."""
    env = {"WEBSOCKET_PING_INTERVAL_SECONDS": "0.3", "WEBSOCKET_PING_TIMEOUT_SECONDS": "0.3"}
    with running_server(backend, tmp_path, **env) as server:
        alice, bob, chat = alice_and_bob(server)
        async with socket(server, bob) as ws:
            await start(ws, NEW_MESSAGES, {"chat": chat})
            await asyncio.sleep(1.5)  # five pings, all answered: the socket stays open
            await asyncio.to_thread(send, server, alice, chat, "still there")
            delivered = await next_message(ws)
            assert delivered is not None and delivered["type"] == "next", delivered

            ws.transport.pause_reading()  # stops reading, so answers no ping
            await asyncio.sleep(1.5)
            ws.transport.resume_reading()
            _, closed = await read_until_closed(ws, 5)
    assert closed.rcvd is not None, "the connection ended without a close frame"
    assert (closed.rcvd.code, closed.rcvd.reason) == (1013, UNANSWERED_PINGS)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sends_to_a_socket_closed_for_unanswered_pings_end_it_quietly(
    backend: Backend, tmp_path: Path
) -> None:
    """A client that stopped reading with its buffers full misses the pings: its socket
    ends (no crashed task in the log, sends after it refused quietly), and the client,
    reading again, finds what was in flight and then 1013."""
    env = {
        "WEBSOCKET_PING_INTERVAL_SECONDS": "0.3",
        "WEBSOCKET_PING_TIMEOUT_SECONDS": "0.3",
        "SUBSCRIBER_QUEUE_SIZE": "1000",  # the pings, not the queue, cut it off
    }
    with running_server(backend, tmp_path, **env) as server:
        alice, bob, chat = alice_and_bob(server)
        stalled = await stalled_socket(server, bob)
        await start(stalled, BIG_EVENTS, {"chat": chat})  # and never reads again, for now
        sent, afterwards = 0, 3  # sent once it was closed: refused, quietly
        while afterwards and sent < MAX_MESSAGES:  # until the buffers are full, and then some
            variables = {"chat": chat, "content": f"{CONTENT}{sent}"}
            await asyncio.to_thread(server.graphql, SEND, variables, alice)
            sent += 1
            if NO_PING_ANSWERED in server.output():
                afterwards -= 1
        assert NO_PING_ANSWERED in server.output(), f"{sent} messages never filled the buffers"
        # Read again before uvicorn's close timeout (10 s) drops the connection: the close
        # frame must have waited behind what was in flight.
        delivered, closed = await read_until_closed(stalled, 8)
        output = server.output()
    assert "Traceback" not in output, output
    assert 0 < len(delivered) < sent
    assert closed.rcvd is not None, "the connection ended without a close frame"
    assert (closed.rcvd.code, closed.rcvd.reason) == (1013, UNANSWERED_PINGS)
