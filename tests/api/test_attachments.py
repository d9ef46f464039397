"""Message attachments: multipart sends, limits, sniffed types and signed downloads."""

import io
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from app.main import create_app
from infra.settings import Settings
from resolvers import attachments
from tests.conftest import make_settings
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient

ATTACHMENT_FIELDS = "id filename contentType size width height url"
SEND = f"""mutation($input: SendMessageInput!) {{
    sendMessage(input: $input) {{ id content attachments {{ {ATTACHMENT_FIELDS} }} }}
}}"""
HISTORY = f"""query($chat: ID!) {{ messages(chatId: $chat) {{ edges {{ node {{
    id content deletedAt attachments {{ {ATTACHMENT_FIELDS} }}
}} }} }} }}"""
DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
SPACE = "query($id: ID!) { space(id: $id) { channels { id } roles { id isDefault } } }"
UPDATE_ROLE = "mutation($r: ID!, $i: RoleInput!) { updateRole(roleId: $r, input: $i) { id } }"
SMALL_LIMIT = 2048
GENERIC = "application/octet-stream"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = b"just some plain text\n"
UTF8_TEXT = "Grüße, привет, 你好 👋\r\n\tindented\n".encode()
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
BINARY = bytes(range(256)) * 4  # no known format, not text
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>'
)


def png(size: tuple[int, int] = (12, 7)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@dataclass
class Pair:
    """alice and bob in a direct chat; mallory is outside it."""

    chat: str
    alice: Account
    bob: Account
    mallory: Account


@pytest.fixture
async def pair(client: GraphQLClient) -> Pair:
    alice, bob, mallory = [await client.register(tag) for tag in ("alice", "bob", "mallory")]
    data = await client.data(DIRECT, {"user": bob.id}, token=alice.access_token)
    return Pair(data["openDirectChat"]["id"], alice, bob, mallory)


@pytest.fixture
async def small(backend: Any, tmp_path: Path) -> Any:
    """A client and settings for an app whose upload limit is SMALL_LIMIT bytes."""
    settings = make_settings(backend, tmp_path / "small", max_upload_bytes=SMALL_LIMIT)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http), settings


async def send_files(
    client: GraphQLClient,
    who: Account,
    chat: str,
    files: list[tuple[str, bytes, str]],
    content: str | None = None,
) -> dict[str, Any]:
    """The whole response body of a sendMessage with `files` attached (plain JSON without)."""
    if not files:
        variables = {"input": {"chatId": chat, "content": content}}
        return await client.execute(SEND, variables, token=who.access_token)
    variables = {"input": {"chatId": chat, "content": content, "attachments": [None] * len(files)}}
    paths = {f"variables.input.attachments.{i}": spec for i, spec in enumerate(files)}
    response = await client.upload(SEND, variables, paths, token=who.access_token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def sent(client: GraphQLClient, who: Account, chat: str, files: list, **kw: Any) -> dict:
    body = await send_files(client, who, chat, files, **kw)
    assert "errors" not in body, body
    message: dict[str, Any] = body["data"]["sendMessage"]
    return message


async def refused(client: GraphQLClient, who: Account, chat: str, files: list, **kw: Any) -> dict:
    body = await send_files(client, who, chat, files, **kw)
    assert len(body.get("errors") or []) == 1, body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


async def history(client: GraphQLClient, who: Account, chat: str) -> list[dict[str, Any]]:
    data = await client.data(HISTORY, {"chat": chat}, token=who.access_token)
    return [edge["node"] for edge in data["messages"]["edges"]]


async def download(client: GraphQLClient, url: str) -> httpx.Response:
    assert url.startswith("http://testserver/files/"), url
    return await client.http.get(url.removeprefix("http://testserver"))


def with_query(url: str, **params: str) -> str:
    """`url` with its query replaced by `params`."""
    return url.split("?")[0] + ("?" + "&".join(f"{k}={v}" for k, v in params.items()))


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# --- accepted files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "declared", "content_type", "size"),
    [
        (png(), "x.txt", "text/plain", "image/png", (12, 7)),
        (PDF, "x.png", "image/png", "application/pdf", (None, None)),
        (TEXT, "notes.txt", "application/octet-stream", "text/plain", (None, None)),
        (UTF8_TEXT, "notes", "application/octet-stream", "text/plain", (None, None)),
        (HTML, "page.txt", "text/html", "text/plain", (None, None)),
        (SVG, "pic.svg", "image/svg+xml", "text/plain", (None, None)),
        (BINARY, "notes.txt", "text/plain", "application/octet-stream", (None, None)),
        ("latin-1: café".encode("latin-1"), "a.txt", "text/plain", GENERIC, (None, None)),
    ],
    ids=[
        "png-named-txt",
        "pdf-named-png",
        "plain-text",
        "utf8-text",
        "html",
        "svg",
        "binary",
        "not-utf8",
    ],
)
async def test_type_comes_from_the_bytes(
    client: GraphQLClient,
    settings: Settings,
    pair: Pair,
    data: bytes,
    name: str,
    declared: str,
    content_type: str,
    size: tuple[int | None, int | None],
) -> None:
    message = await sent(client, pair.alice, pair.chat, [(name, data, declared)])
    [attachment] = message["attachments"]
    assert attachment["filename"] == name and attachment["contentType"] == content_type
    assert (attachment["width"], attachment["height"]) == size
    assert attachment["size"] == len(data)
    [path] = stored(settings.attachments_path)
    assert path.read_bytes() == data


async def test_up_to_ten_files_are_kept_in_order(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    files = [(f"f{n}.bin", f"file number {n}".encode(), "text/plain") for n in range(10)]
    message = await sent(client, pair.alice, pair.chat, files, content="ten")
    assert [a["filename"] for a in message["attachments"]] == [f"f{n}.bin" for n in range(10)]
    assert len(stored(settings.attachments_path)) == 10
    [seen] = await history(client, pair.bob, pair.chat)
    assert seen["attachments"] == message["attachments"]


async def test_eleven_files_are_refused_and_nothing_is_stored(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    files = [(f"f{n}.bin", b"data", "text/plain") for n in range(11)]
    extensions = await refused(client, pair.alice, pair.chat, files, content="too many")
    assert extensions == {"code": "BAD_USER_INPUT", "field": "attachments"}
    assert await history(client, pair.alice, pair.chat) == []
    assert stored(settings.attachments_path) == []


async def test_a_message_may_be_attachments_only(client: GraphQLClient, pair: Pair) -> None:
    message = await sent(client, pair.alice, pair.chat, [("a.pdf", PDF, "application/pdf")])
    assert not message["content"] and len(message["attachments"]) == 1
    [seen] = await history(client, pair.bob, pair.chat)
    assert seen["id"] == message["id"]


async def test_resending_with_the_same_client_id_stores_no_more_files(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    variables = {
        "input": {"chatId": pair.chat, "clientMessageId": "m-1", "attachments": [None]},
    }
    files = {"variables.input.attachments.0": ("a.pdf", PDF, "application/pdf")}
    ids = []
    for _ in range(2):
        response = await client.upload(SEND, variables, files, token=pair.alice.access_token)
        ids.append(response.json()["data"]["sendMessage"]["id"])
    assert ids[0] == ids[1]
    assert len(stored(settings.attachments_path)) == 1
    assert [m["id"] for m in await history(client, pair.bob, pair.chat)] == ids[:1]


async def test_a_message_without_content_or_files_is_refused(
    client: GraphQLClient, pair: Pair
) -> None:
    extensions = await refused(client, pair.alice, pair.chat, [], content="   ")
    assert extensions == {"code": "BAD_USER_INPUT", "field": "content"}


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\eve\\report.pdf", "report.pdf"),
        ("dir/sub/notes.txt", "notes.txt"),
        ("résumé final.pdf", "résumé final.pdf"),
    ],
)
async def test_filename_keeps_only_its_last_part(
    client: GraphQLClient, settings: Settings, pair: Pair, raw: str, kept: str
) -> None:
    message = await sent(client, pair.alice, pair.chat, [(raw, TEXT, "text/plain")])
    [attachment] = message["attachments"]
    assert attachment["filename"] == kept
    [path] = stored(settings.attachments_path)
    assert path.is_relative_to(settings.attachments_path)
    assert (await download(client, attachment["url"])).content == TEXT


@pytest.mark.parametrize("raw", ["..", "../..", "notes/.."])
async def test_a_dot_dot_name_still_gives_a_working_link(
    client: GraphQLClient, pair: Pair, raw: str
) -> None:
    message = await sent(client, pair.alice, pair.chat, [(raw, TEXT, "text/plain")])
    [attachment] = message["attachments"]
    assert attachment["filename"] not in {".", ".."}
    response = await download(client, attachment["url"])
    assert response.status_code == 200 and response.content == TEXT


async def test_an_empty_file_is_refused(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    files = [("ok.txt", TEXT, "text/plain"), ("empty.txt", b"", "text/plain")]
    extensions = await refused(client, pair.alice, pair.chat, files, content="hi")
    assert extensions == {"code": "BAD_USER_INPUT", "field": "attachments"}
    assert stored(settings.attachments_path) == []
    assert await history(client, pair.alice, pair.chat) == []


# --- size limit -------------------------------------------------------------------------------


async def test_each_file_must_fit_the_upload_limit(small: Any) -> None:
    client, settings = small
    alice, bob = await client.register("alice"), await client.register("bob")
    chat = (await client.data(DIRECT, {"user": bob.id}, token=alice.access_token))[
        "openDirectChat"
    ]["id"]
    at_limit = b"a" * SMALL_LIMIT
    over = b"b" * (SMALL_LIMIT + 1)
    for files in (
        [("big.bin", over, "text/plain")],
        [("ok.bin", TEXT, "text/plain")] * 2 + [("big.bin", over, "text/plain")],
    ):
        extensions = await refused(client, alice, chat, files, content="big")
        assert extensions == {"code": "BAD_USER_INPUT", "field": "attachments"}
    assert await history(client, alice, chat) == []
    assert stored(settings.attachments_path) == []
    message = await sent(client, alice, chat, [("fits.bin", at_limit, "text/plain")])
    assert message["attachments"][0]["size"] == SMALL_LIMIT
    assert (await download(client, message["attachments"][0]["url"])).content == at_limit


# --- downloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "content_type", "disposition"),
    [
        (png(), "pic.png", "image/png", "inline"),
        (PDF, "doc.pdf", "application/pdf", "attachment"),
        (TEXT, "notes.txt", "text/plain", "attachment"),
        (HTML, "page.html", "text/plain", "attachment"),
        (BINARY, "page.html", GENERIC, "attachment"),
    ],
    ids=["image", "pdf", "text", "html-as-text", "unknown"],
)
async def test_url_downloads_the_exact_bytes(
    client: GraphQLClient,
    pair: Pair,
    data: bytes,
    name: str,
    content_type: str,
    disposition: str,
) -> None:
    message = await sent(client, pair.alice, pair.chat, [(name, data, "text/html")])
    [seen] = (await history(client, pair.bob, pair.chat))[0]["attachments"]
    response = await download(client, seen["url"])
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["content-disposition"].startswith(disposition)
    assert name in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert message["attachments"][0]["id"] == seen["id"]


async def test_text_downloads_as_utf8_text_the_browser_must_not_sniff(
    client: GraphQLClient, pair: Pair
) -> None:
    message = await sent(client, pair.alice, pair.chat, [("notes", UTF8_TEXT, "text/html")])
    response = await download(client, message["attachments"][0]["url"])
    assert response.content == UTF8_TEXT
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("attachment")


async def test_svg_is_never_served_inline_as_an_image(client: GraphQLClient, pair: Pair) -> None:
    message = await sent(client, pair.alice, pair.chat, [("pic.png", SVG, "image/png")])
    [attachment] = message["attachments"]
    assert attachment["contentType"] != "image/png" and attachment["width"] is None
    response = await download(client, attachment["url"])
    assert response.content == SVG
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]


async def test_tampered_links_are_refused(client: GraphQLClient, pair: Pair) -> None:
    files = [("a.pdf", PDF, "application/pdf"), ("b.txt", TEXT, "text/plain")]
    first, second = (await sent(client, pair.alice, pair.chat, files))["attachments"]
    good = query_of(first["url"])
    other = query_of(second["url"])
    flipped = ("0" if good["signature"][0] != "0" else "1") + good["signature"][1:]
    later = str(int(good["expires"]) + 3600)
    for url in [
        with_query(first["url"], expires=good["expires"]),
        with_query(first["url"], expires=good["expires"], signature=flipped),
        with_query(first["url"], expires=other["expires"], signature=other["signature"]),
        with_query(first["url"], expires=later, signature=good["signature"]),
        with_query(first["url"], signature=good["signature"]),
        with_query(first["url"], expires="soon", signature=good["signature"]),
    ]:
        assert (await download(client, url)).status_code == 403, url
    assert (await download(client, first["url"])).content == PDF


async def test_links_last_at_least_an_hour_then_expire(
    client: GraphQLClient, pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = 1_800_000_000.0 + 3599
    monkeypatch.setattr(attachments, "time", SimpleNamespace(time=lambda: issued))
    message = await sent(client, pair.alice, pair.chat, [("a.txt", TEXT, "text/plain")])
    url = message["attachments"][0]["url"]
    expires = int(query_of(url)["expires"])
    assert 3600 <= expires - issued <= 7200
    monkeypatch.setattr(attachments, "time", SimpleNamespace(time=lambda: expires - 10))
    assert (await download(client, url)).status_code == 200
    monkeypatch.setattr(attachments, "time", SimpleNamespace(time=lambda: expires + 10))
    assert (await download(client, url)).status_code == 403
    # A fresh link works again.
    [seen] = (await history(client, pair.alice, pair.chat))[0]["attachments"]
    assert (await download(client, seen["url"])).content == TEXT


async def test_links_stay_the_same_within_the_hour(
    client: GraphQLClient, pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clients cache by URL; a link that changed on every read would be fetched again each time."""
    start = 1_800_000_000.0
    monkeypatch.setattr(attachments, "time", SimpleNamespace(time=lambda: start))
    message = await sent(client, pair.alice, pair.chat, [("a.txt", TEXT, "text/plain")])
    monkeypatch.setattr(attachments, "time", SimpleNamespace(time=lambda: start + 3599))
    [seen] = (await history(client, pair.bob, pair.chat))[0]["attachments"]
    assert seen["url"] == message["attachments"][0]["url"]
    monkeypatch.setattr(attachments, "time", SimpleNamespace(time=lambda: start + 3600))
    [later] = (await history(client, pair.bob, pair.chat))[0]["attachments"]
    assert later["url"] != seen["url"]


async def test_attachments_are_not_served_as_media(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    await sent(client, pair.alice, pair.chat, [("pic.png", png(), "image/png")])
    [path] = stored(settings.attachments_path)
    assert not path.is_relative_to(settings.media_path)
    key = path.relative_to(settings.attachments_path).as_posix()
    for guess in (f"/media/{key}", f"/media/attachments/{key}", f"/media/../attachments/{key}"):
        assert (await client.http.get(guess)).status_code == 404, guess


# --- deleting ---------------------------------------------------------------------------------


async def test_deleting_the_message_removes_its_files(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    files = [("a.pdf", PDF, "application/pdf"), ("b.png", png(), "image/png")]
    message = await sent(client, pair.alice, pair.chat, files, content="two files")
    keep = await sent(client, pair.alice, pair.chat, [("c.txt", TEXT, "text/plain")])
    urls = [a["url"] for a in message["attachments"]]
    assert len(stored(settings.attachments_path)) == 3
    await client.data(DELETE, {"id": message["id"]}, token=pair.alice.access_token)
    for url in urls:
        assert (await download(client, url)).status_code == 404
    [path] = stored(settings.attachments_path)
    assert path.read_bytes() == TEXT
    deleted, kept = await history(client, pair.bob, pair.chat)
    assert deleted["deletedAt"] and deleted["attachments"] == []
    assert (await download(client, kept["attachments"][0]["url"])).content == TEXT
    assert kept["id"] == keep["id"]


# --- who may attach ---------------------------------------------------------------------------


async def test_outsider_cannot_attach_to_someone_else_s_chat(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    extensions = await refused(client, pair.mallory, pair.chat, [("a.txt", TEXT, "text/plain")])
    assert extensions["code"] == "NOT_FOUND"
    assert stored(settings.attachments_path) == []
    assert await history(client, pair.alice, pair.chat) == []


async def test_channel_member_without_attach_files_is_forbidden(
    client: GraphQLClient, settings: Settings, pair: Pair
) -> None:
    space = await create_space(client, pair.alice, public=True)
    await join(client, pair.bob, space)
    data = (await client.data(SPACE, {"id": space}, token=pair.alice.access_token))["space"]
    general = data["channels"][0]["id"]
    default = next(role["id"] for role in data["roles"] if role["isDefault"])
    role_input = {"name": "everyone", "permissions": ["VIEW_CHANNELS", "SEND_MESSAGES"]}
    await client.data(UPDATE_ROLE, {"r": default, "i": role_input}, token=pair.alice.access_token)

    files = [("a.txt", TEXT, "text/plain")]
    extensions = await refused(client, pair.bob, general, files, content="look")
    assert extensions == {"code": "FORBIDDEN", "permission": "ATTACH_FILES"}
    assert stored(settings.attachments_path) == []
    text_only = await sent(client, pair.bob, general, [], content="text is fine")
    assert text_only["content"] == "text is fine" and text_only["attachments"] == []
    owners = await sent(client, pair.alice, general, files)
    assert len(owners["attachments"]) == 1
    assert [m["id"] for m in await history(client, pair.bob, general)] == [
        text_only["id"],
        owners["id"],
    ]


@pytest.mark.parametrize("what", ["channel", "space"])
async def test_deleting_a_channel_or_space_removes_its_files(
    client: GraphQLClient, settings: Settings, what: str
) -> None:
    owner = await client.register("owner")
    space = await create_space(client, owner)
    data = await client.data(
        "query($id: ID!) { space(id: $id) { channels { id } } }",
        {"id": space},
        token=owner.access_token,
    )
    channel = data["space"]["channels"][0]["id"]
    body = await send_files(client, owner, channel, [("a.pdf", PDF, "application/pdf")])
    assert "errors" not in body, body
    assert stored(settings.attachments_path)
    if what == "channel":
        mutation, variables = "mutation($c: ID!) { deleteChannel(chatId: $c) }", {"c": channel}
    else:
        mutation, variables = "mutation($s: ID!) { deleteSpace(id: $s) }", {"s": space}
    await client.data(mutation, variables, token=owner.access_token)
    assert stored(settings.attachments_path) == []
