"""Many sockets subscribing to one chat at the same moment all receive every later message."""

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from tests.backends import Backend
from tests.live import NEW_MESSAGES, SEND, direct_chat, listening, next_event, register, socket
from tests.servers import running_server

SOCKETS = 100
MESSAGES = 3
# A hundred subscriptions starting at once take a while to be listening (each passes the
# rate limiter first, a Redis round trip on a busy event loop).
LISTENING_TIMEOUT = 30.0


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
            async with listening(*sockets, within=LISTENING_TIMEOUT):
                await asyncio.gather(*(ws.send(subscribe) for ws in sockets))
            for number in range(MESSAGES):
                server.graphql(SEND, {"chat": chat, "content": str(number)}, alice)

            async def contents(ws: Any) -> list[str]:
                events = [await next_event(ws, "chatEvents", 10) for _ in range(MESSAGES)]
                return [event["message"]["content"] for event in events]

            received = await asyncio.gather(*(contents(ws) for ws in sockets))
        expected = [str(n) for n in range(MESSAGES)]
        assert all(messages == expected for messages in received)
