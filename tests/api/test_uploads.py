"""Avatar and banner uploads over GraphQL multipart: image sniffing, limits, storage, serving."""

import io
import json
import random
from pathlib import Path

import httpx
import pytest
from PIL import Image

from app.main import create_app
from tests.conftest import make_settings
from tests.graphql_client import GraphQLClient

SMALL_LIMIT = 4096
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def noisy_png(size: int = 64) -> bytes:
    """A PNG that does not compress: a few kilobytes for a small image."""
    pixels = random.Random(size).randbytes(size * size * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_mutation(field: str) -> str:
    return f"mutation($file: Upload!) {{ {field}(file: $file) {{ id avatarUrl bannerUrl }} }}"


async def upload(
    client, account, data, name="avatar.png", content_type="image/png", *, field="uploadAvatar"
):
    """The whole response body of an upload (HTTP 200 asserted)."""
    response = await client.upload(
        upload_mutation(field),
        {"file": None},
        {"variables.file": (name, data, content_type)},
        token=account.access_token if account else None,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def uploaded(client, account, data, name="avatar.png", content_type="image/png", **kw):
    body = await upload(client, account, data, name, content_type, **kw)
    assert "errors" not in body, body
    return body["data"][kw.get("field", "uploadAvatar")]


async def upload_error(client, account, data, name="avatar.png", content_type="image/png", **kw):
    body = await upload(client, account, data, name, content_type, **kw)
    assert len(body.get("errors") or []) == 1, body
    return body["errors"][0]


async def fetch(client, url: str) -> httpx.Response:
    assert url.startswith("http://testserver/media/"), url
    return await client.http.get(url.removeprefix("http://testserver"))


async def profile(client, account) -> dict:
    data = await client.data("{ me { avatarUrl bannerUrl } }", token=account.access_token)
    return data["me"]


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


@pytest.fixture
async def small_client(backend, tmp_path):
    """A client for an app whose upload limit is SMALL_LIMIT bytes."""
    app = create_app(make_settings(backend, tmp_path / "small", max_upload_bytes=SMALL_LIMIT))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http)


# --- accepted images ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
async def test_real_images_are_accepted_and_served_back(client, fmt):
    alice = await client.register("alice")
    extension, content_type = FORMATS[fmt]
    data = image_bytes(fmt)
    user = await uploaded(client, alice, data, f"me.{extension}", content_type)
    assert user["id"] == alice.id
    assert user["avatarUrl"].endswith(f".{extension}")
    assert user["bannerUrl"] is None
    assert (await profile(client, alice))["avatarUrl"] == user["avatarUrl"]
    response = await fetch(client, user["avatarUrl"])
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == content_type


async def test_served_media_cannot_be_run_as_a_page(client):
    alice = await client.register("alice")
    user = await uploaded(client, alice, image_bytes("PNG"))
    response = await fetch(client, user["avatarUrl"])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


async def test_banner_upload_sets_banner_only(client):
    alice = await client.register("alice")
    data = image_bytes("WEBP", (32, 8))
    user = await uploaded(client, alice, data, "banner.webp", "image/webp", field="uploadBanner")
    assert user["avatarUrl"] is None
    assert user["bannerUrl"].endswith(".webp")
    assert (await fetch(client, user["bannerUrl"])).content == data
    assert await profile(client, alice) == {"avatarUrl": None, "bannerUrl": user["bannerUrl"]}


async def test_avatar_is_visible_to_others_but_set_on_the_uploader_only(client):
    alice = await client.register("alice")
    bob = await client.register("bob")
    user = await uploaded(client, alice, image_bytes())
    data = await client.data(
        "query($id: ID!) { user(id: $id) { avatarUrl } }", {"id": alice.id}, token=bob.access_token
    )
    assert data["user"]["avatarUrl"] == user["avatarUrl"]
    assert await profile(client, bob) == {"avatarUrl": None, "bannerUrl": None}


# --- content sniffing -----------------------------------------------------------------------


async def test_type_comes_from_the_bytes_not_the_filename(client):
    alice = await client.register("alice")
    data = image_bytes("PNG")
    user = await uploaded(client, alice, data, "notes.txt", "text/plain")
    assert user["avatarUrl"].endswith(".png")
    response = await fetch(client, user["avatarUrl"])
    assert response.headers["content-type"] == "image/png"
    assert response.content == data


async def test_jpeg_named_png_is_stored_as_jpeg(client):
    alice = await client.register("alice")
    user = await uploaded(client, alice, image_bytes("JPEG"), "photo.png", "image/png")
    assert user["avatarUrl"].endswith(".jpg")
    assert (await fetch(client, user["avatarUrl"])).headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (b"just some text, honestly an image", "x.png", "image/png"),
        (SVG, "x.svg", "image/svg+xml"),
        (SVG, "x.png", "image/png"),
        (PDF, "x.pdf", "application/pdf"),
        (PDF, "x.jpg", "image/jpeg"),
        (image_bytes("PNG")[:40], "truncated.png", "image/png"),
        (image_bytes("BMP"), "x.bmp", "image/bmp"),
    ],
    ids=["text", "svg", "svg-named-png", "pdf", "pdf-named-jpg", "truncated-png", "bmp"],
)
async def test_non_images_are_refused_and_not_stored(client, settings, data, name, content_type):
    alice = await client.register("alice")
    error = await upload_error(client, alice, data, name, content_type)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "file"
    assert await profile(client, alice) == {"avatarUrl": None, "bannerUrl": None}
    assert stored_files(settings.media_path) == []


async def test_empty_file_is_refused(client, settings):
    alice = await client.register("alice")
    error = await upload_error(client, alice, b"", "empty.png", "image/png")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "file"
    assert stored_files(settings.media_path) == []


# --- size limits ----------------------------------------------------------------------------


async def test_file_over_the_limit_is_refused(small_client):
    alice = await small_client.register("alice")
    data = noisy_png()
    assert len(data) > SMALL_LIMIT
    error = await upload_error(small_client, alice, data)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "file"
    assert await profile(small_client, alice) == {"avatarUrl": None, "bannerUrl": None}


async def test_file_exactly_at_the_limit_is_accepted_and_one_byte_more_is_not(small_client):
    alice = await small_client.register("alice")
    png = image_bytes()
    at_limit = png + b"\0" * (SMALL_LIMIT - len(png))
    user = await uploaded(small_client, alice, at_limit)
    assert (await fetch(small_client, user["avatarUrl"])).content == at_limit
    error = await upload_error(small_client, alice, at_limit + b"\0")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await profile(small_client, alice))["avatarUrl"] == user["avatarUrl"]


async def test_body_far_over_the_limit_gets_413(small_client):
    alice = await small_client.register("alice")
    response = await small_client.upload(
        upload_mutation("uploadAvatar"),
        {"file": None},
        {"variables.file": ("huge.png", image_bytes() + b"\0" * (3 * 1024 * 1024), "image/png")},
        token=alice.access_token,
    )
    assert response.status_code == 413
    assert await profile(small_client, alice) == {"avatarUrl": None, "bannerUrl": None}


async def test_streamed_body_over_the_limit_without_length_gets_413(small_client):
    alice = await small_client.register("alice")

    operations = json.dumps({"query": upload_mutation("uploadAvatar"), "variables": {"file": None}})
    head = "".join(
        f'--xyz\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in [("operations", operations), ("map", '{"0": ["variables.file"]}')]
    )
    head += '--xyz\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\n'
    head += "Content-Type: image/png\r\n\r\n"

    async def chunks():
        yield head.encode() + image_bytes()
        for _ in range(64):
            yield b"\0" * 65536
        yield b"\r\n--xyz--\r\n"

    response = await small_client.http.post(
        "/graphql",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {alice.access_token}",
            "Content-Type": "multipart/form-data; boundary=xyz",
        },
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


# --- replacing and authentication ----------------------------------------------------------


async def test_replacing_an_avatar_deletes_the_old_file(client, settings):
    alice = await client.register("alice")
    first = await uploaded(client, alice, image_bytes("PNG"))
    second_data = image_bytes("GIF", color=(0, 0, 255))
    second = await uploaded(client, alice, second_data, "new.gif", "image/gif")
    assert second["avatarUrl"] != first["avatarUrl"]
    assert (await fetch(client, first["avatarUrl"])).status_code == 404
    assert (await fetch(client, second["avatarUrl"])).content == second_data
    assert len(stored_files(settings.media_path)) == 1


async def test_banner_upload_keeps_the_avatar(client, settings):
    alice = await client.register("alice")
    avatar = await uploaded(client, alice, image_bytes("PNG"))
    await uploaded(client, alice, image_bytes("JPEG"), field="uploadBanner")
    assert (await fetch(client, avatar["avatarUrl"])).status_code == 200
    assert (await profile(client, alice))["avatarUrl"] == avatar["avatarUrl"]
    assert len(stored_files(settings.media_path)) == 2


async def test_refused_replacement_keeps_the_old_avatar(client):
    alice = await client.register("alice")
    data = image_bytes("PNG")
    first = await uploaded(client, alice, data)
    error = await upload_error(client, alice, SVG, "x.svg", "image/svg+xml")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await profile(client, alice))["avatarUrl"] == first["avatarUrl"]
    assert (await fetch(client, first["avatarUrl"])).content == data


@pytest.mark.parametrize("field", ["uploadAvatar", "uploadBanner"])
async def test_unauthenticated_upload_is_refused_and_writes_nothing(client, settings, field):
    error = await upload_error(client, None, image_bytes(), field=field)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert settings.media_path.is_dir()
    assert stored_files(settings.media_path) == []
