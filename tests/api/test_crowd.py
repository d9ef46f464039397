"""Many sockets subscribing to one chat at the same moment all receive every later message."""

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from tests.backends import Backend
from tests.live import NEW_MESSAGES, SEND, SETTLE, direct_chat, next_event, register, socket
from tests.servers import Server, running_server

SOCKETS = 100
MESSAGES = 3
READY = "ready"


async def all_listening(server: Server, token: str, chat: str, sockets: list[Any]) -> None:
    """Probe until every socket has heard a message, then read each up to a last marker.

    A hundred subscriptions starting at once take longer than SETTLE to be listening (each
    passes the rate limiter first, a Redis round trip on a busy event loop).
    """

    async def until(ws: Any, content: str | None) -> None:
        while True:
            event = await next_event(ws, "chatEvents", 30)
            if content is None or event["message"]["content"] == content:
                return

    heard = asyncio.gather(*(until(ws, None) for ws in sockets))
    while not heard.done():
        server.graphql(SEND, {"chat": chat, "content": "probe"}, token)
        await asyncio.wait([heard], timeout=SETTLE)
    await heard
    server.graphql(SEND, {"chat": chat, "content": READY}, token)
    await asyncio.gather(*(until(ws, READY) for ws in sockets))


async def test_a_hundred_sockets_subscribing_at_once_all_hear_everything(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path, MAX_SOCKETS_PER_USER=str(SOCKETS)) as server:
        alice, _ = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with AsyncExitStack() as stack:
            sockets: list[Any] = await asyncio.gather(
                *(stack.enter_async_context(socket(server, bob)) for _ in range(SOCKETS))
            )
            payload = {"query": NEW_MESSAGES, "variables": {"chat": chat}}
            subscribe = json.dumps({"id": "1", "type": "subscribe", "payload": payload})
            await asyncio.gather(*(ws.send(subscribe) for ws in sockets))
            await all_listening(server, alice, chat, sockets)
            for number in range(MESSAGES):
                server.graphql(SEND, {"chat": chat, "content": str(number)}, alice)

            async def contents(ws: Any) -> list[str]:
                events = [await next_event(ws, "chatEvents", 10) for _ in range(MESSAGES)]
                return [event["message"]["content"] for event in events]

            received = await asyncio.gather(*(contents(ws) for ws in sockets))
        expected = [str(n) for n in range(MESSAGES)]
        assert all(messages == expected for messages in received)
