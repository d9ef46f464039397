"""Real WebSocket clients (graphql-transport-ws) against a real server process."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from infra.request_id import HEADER as REQUEST_ID
from tests.servers import LISTENING_LOGGER, Server

PROTOCOL = "graphql-transport-ws"
LEGACY_PROTOCOL = "graphql-ws"  # subscriptions-transport-ws
LISTENING_TIMEOUT = 10.0  # seconds for a subscription to be listening once sent
SEND = """mutation($chat: ID!, $content: String!) {
    sendMessage(input: {chatId: $chat, content: $content}) { id }
}"""
# The content of each new message in one chat.
NEW_MESSAGES = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { ... on MessageCreated { message { content } } }
}"""
REGISTER = """mutation($input: RegisterInput!) {
    register(input: $input) { accessToken user { id } }
}"""


def register(server: Server, tag: str) -> tuple[str, str]:
    """A new account: (access token, user id)."""
    variables = {
        "input": {
            "email": f"{tag}@example.com",
            "password": "correct horse",
            "tag": tag,
            "displayName": tag,
        }
    }
    payload = server.graphql(REGISTER, variables)["register"]
    return payload["accessToken"], payload["user"]["id"]


def direct_chat(server: Server, token: str, other_id: str) -> str:
    query = "mutation($u: ID!) { openDirectChat(userId: $u) { id } }"
    chat_id: str = server.graphql(query, {"u": other_id}, token)["openDirectChat"]["id"]
    return chat_id


def send(server: Server, token: str, chat: str, content: str) -> str:
    """Post a message over HTTP; its id."""
    message_id: str = server.graphql(SEND, {"chat": chat, "content": content}, token)[
        "sendMessage"
    ]["id"]
    return message_id


# The server and request id of each socket `connect` opened, for `listening`.
_origins: "WeakKeyDictionary[websockets.ClientConnection, tuple[Server, str]]" = WeakKeyDictionary()


async def connect(
    server: Server, protocol: str = PROTOCOL, **options: Any
) -> websockets.ClientConnection:
    """A WebSocket to `server` whose subscriptions `listening` can wait for: the request id
    it sends marks the server's log lines about it. `options` go to websockets.connect."""
    request_id = uuid.uuid4().hex
    ws = await websockets.connect(
        server.ws_url,
        subprotocols=[protocol],
        additional_headers={REQUEST_ID: request_id},
        **options,
    )
    _origins[ws] = (server, request_id)
    return ws


@asynccontextmanager
async def socket(server: Server, token: str) -> AsyncIterator[Any]:
    """An acknowledged graphql-transport-ws connection."""
    async with await connect(server) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield ws


@asynccontextmanager
async def legacy_socket(server: Server, token: str) -> AsyncIterator[Any]:
    """An acknowledged connection over the legacy graphql-ws protocol."""
    async with await connect(server, LEGACY_PROTOCOL) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield ws


@asynccontextmanager
async def listening(
    *sockets: websockets.ClientConnection, within: float = LISTENING_TIMEOUT
) -> AsyncIterator[None]:
    """Returns, once what is inside has sent a subscription on each of `sockets` (all to one
    server), when every one of them is listening: what is published next reaches them.

    Neither protocol acknowledges a subscription, so this waits until the server's log shows
    one more "listening" line for each socket (see graphql_schema.context) than on entering.
    """
    [server] = {_origins[ws][0] for ws in sockets}
    markers = [f"[{_origins[ws][1]}] {LISTENING_LOGGER}: listening on " for ws in sockets]

    def counts() -> list[int]:
        output = server.output()
        return [output.count(marker) for marker in markers]

    before = counts()
    yield
    deadline = time.monotonic() + within
    while any(now <= then for now, then in zip(counts(), before, strict=True)):
        if time.monotonic() > deadline:
            pytest.fail(f"not listening after {within} s:\n{server.output()}")
        await asyncio.sleep(0.01)


async def closed_with(ws: websockets.ClientConnection, wait: float = 5.0) -> tuple[int, str]:
    """The code and reason the server closed `ws` with (failing if it sends anything else)."""
    with pytest.raises(ConnectionClosed) as closed:
        message = await asyncio.wait_for(ws.recv(), wait)
        pytest.fail(f"expected a close, got {message!r}")
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def send_operation(
    ws: Any, query: str, variables: dict[str, Any] | None = None, operation_id: str = "1"
) -> None:
    """Send an operation (any kind: graphql-transport-ws calls it `subscribe`), waiting for
    nothing: for queries, mutations and subscriptions that are refused."""
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))


async def start(
    ws: Any, query: str, variables: dict[str, Any] | None = None, operation_id: str = "1"
) -> None:
    """Subscribe, and return once the subscription is listening."""
    async with listening(ws):
        await send_operation(ws, query, variables, operation_id)


async def next_message(ws: Any, wait: float = 5.0) -> dict[str, Any] | None:
    """The next protocol message, or None when nothing comes within `wait` seconds."""
    try:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), wait))
    except TimeoutError:
        return None
    return message


async def next_event(ws: Any, field: str, wait: float = 5.0) -> dict[str, Any]:
    """The data of the next `next` message, failing on anything else."""
    message = await next_message(ws, wait)
    assert message is not None, f"no {field} event within {wait} s"
    assert message["type"] == "next" and "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"][field]
    return event
