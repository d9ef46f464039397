"""Real WebSocket clients (graphql-transport-ws) against a real server process."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.servers import Server

PROTOCOL = "graphql-transport-ws"
LEGACY_PROTOCOL = "graphql-ws"  # subscriptions-transport-ws
SETTLE = 0.5  # seconds for a new subscription to reach the broadcast before publishing
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


@asynccontextmanager
async def socket(server: Server, token: str) -> AsyncIterator[Any]:
    """An acknowledged graphql-transport-ws connection."""
    async with websockets.connect(server.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield ws


@asynccontextmanager
async def legacy_socket(server: Server, token: str) -> AsyncIterator[Any]:
    """An acknowledged connection over the legacy graphql-ws protocol."""
    async with websockets.connect(server.ws_url, subprotocols=[LEGACY_PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield ws


async def closed_with(ws: websockets.ClientConnection, wait: float = 5.0) -> tuple[int, str]:
    """The code and reason the server closed `ws` with (failing if it sends anything else)."""
    with pytest.raises(ConnectionClosed) as closed:
        message = await asyncio.wait_for(ws.recv(), wait)
        pytest.fail(f"expected a close, got {message!r}")
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def start(
    ws: Any, query: str, variables: dict[str, Any] | None = None, operation_id: str = "1"
) -> None:
    """Subscribe, then give the subscription a moment to be listening."""
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
    await asyncio.sleep(SETTLE)


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
