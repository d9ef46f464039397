"""Links to media and attachments point where the client reached the server.

PUBLIC_BASE_URL when set; in development without it, the address of the request (or
socket) itself, so a dev server on any port hands out working links.
"""

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from app.main import create_app
from tests.backends import Backend
from tests.conftest import make_settings
from tests.graphql_client import GraphQLClient
from tests.live import direct_chat, next_event, register, socket, start
from tests.servers import Server

DEV_ADDRESS = "http://localhost:5173"  # e.g. a front end's dev server proxying the API
AVATAR = "mutation($file: Upload!) { uploadAvatar(file: $file) { avatarUrl } }"
SEND = """mutation($chat: ID!, $files: [Upload!]) {
    sendMessage(input: {chatId: $chat, attachments: $files}) { attachments { url } }
}"""
DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
EVENTS = """subscription($chat: ID!) { chatEvents(chatId: $chat) {
    ... on MessageCreated { message { attachments { url } } }
} }"""


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def dev_client(backend: Backend, tmp_path: Path) -> AsyncIterator[GraphQLClient]:
    """A development app without PUBLIC_BASE_URL, reached at DEV_ADDRESS."""
    app = create_app(make_settings(backend, tmp_path / "data", public_base_url=None))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=DEV_ADDRESS) as http:
            yield GraphQLClient(http)


async def avatar_and_attachment_urls(client: GraphQLClient) -> list[str]:
    alice, bob = await client.register("alice"), await client.register("bob")
    response = await client.upload(
        AVATAR,
        {"file": None},
        {"variables.file": ("a.png", png(), "image/png")},
        token=alice.access_token,
    )
    avatar: str = response.json()["data"]["uploadAvatar"]["avatarUrl"]
    chat = (await client.data(DIRECT, {"user": bob.id}, token=alice.access_token))[
        "openDirectChat"
    ]["id"]
    response = await client.upload(
        SEND,
        {"chat": chat, "files": [None]},
        {"variables.files.0": ("notes.txt", b"hello\n", "text/plain")},
        token=alice.access_token,
    )
    [attachment] = response.json()["data"]["sendMessage"]["attachments"]
    return [avatar, attachment["url"]]


async def test_in_development_links_follow_the_request_s_address(
    dev_client: GraphQLClient,
) -> None:
    avatar, attachment = await avatar_and_attachment_urls(dev_client)
    assert avatar.startswith(f"{DEV_ADDRESS}/media/users/"), avatar
    assert attachment.startswith(f"{DEV_ADDRESS}/files/"), attachment
    for url in (avatar, attachment):
        assert (await dev_client.http.get(url)).status_code == 200


async def test_a_set_public_base_url_wins_over_the_request_s_address(
    backend: Backend, tmp_path: Path
) -> None:
    settings = make_settings(backend, tmp_path / "data", public_base_url="https://chat.example/")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=DEV_ADDRESS) as http:
            urls = await avatar_and_attachment_urls(GraphQLClient(http))
    assert urls[0].startswith("https://chat.example/media/users/"), urls
    assert urls[1].startswith("https://chat.example/files/"), urls


async def test_links_in_live_events_follow_the_socket_s_address(server: Server) -> None:
    alice, _ = register(server, "alice")
    bob, bob_id = register(server, "bob")
    chat = direct_chat(server, alice, bob_id)
    async with socket(server, bob) as ws:
        await start(ws, EVENTS, {"chat": chat})
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            response = await http.post(
                "/graphql",
                headers={"Authorization": f"Bearer {alice}"},
                data={
                    "operations": json.dumps(
                        {"query": SEND, "variables": {"chat": chat, "files": [None]}}
                    ),
                    "map": json.dumps({"0": ["variables.files.0"]}),
                },
                files={"0": ("notes.txt", b"hello\n", "text/plain")},
            )
            assert "errors" not in response.json(), response.text
            event: dict[str, Any] = await next_event(ws, "chatEvents")
            [attachment] = event["message"]["attachments"]
            # The socket came to ws://127.0.0.1:<port>: links are http:// there, not :8000.
            assert attachment["url"].startswith(f"{server.http_url}/files/"), attachment
            assert (await http.get(attachment["url"])).content == b"hello\n"
