"""Space avatars and banners: MANAGE_SPACE only, images only, served back."""

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from infra.settings import Settings
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


async def upload(
    client: GraphQLClient, who: Account, space: str, data: bytes, slot: str = "Avatar"
) -> dict[str, Any]:
    query = f"""mutation($space: ID!, $file: Upload!) {{
        uploadSpace{slot}(spaceId: $space, file: $file) {{ avatarUrl bannerUrl }}
    }}"""
    response = await client.upload(
        query,
        {"space": space, "file": None},
        {"variables.file": ("image.png", data, "image/png")},
        token=who.access_token,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored_files(settings: Settings) -> list[Path]:
    return [path for path in settings.media_path.rglob("*") if path.is_file()]


@pytest.mark.parametrize(("slot", "field"), [("Avatar", "avatarUrl"), ("Banner", "bannerUrl")])
async def test_owner_sets_space_images_that_are_served_back(
    client: GraphQLClient, slot: str, field: str
) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice)
    data = png()
    body = await upload(client, alice, space, data, slot)
    url = body["data"][f"uploadSpace{slot}"][field]
    served = await client.http.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200 and served.content == data


async def test_plain_member_cannot_change_space_images(
    client: GraphQLClient, settings: Settings
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    body = await upload(client, bob, space, png())
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert stored_files(settings) == []


async def test_outsider_of_a_private_space_gets_not_found(
    client: GraphQLClient, settings: Settings
) -> None:
    alice, mallory = await client.register("alice"), await client.register("mallory")
    space = await create_space(client, alice)
    body = await upload(client, mallory, space, png(), "Banner")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert stored_files(settings) == []


async def test_space_images_must_be_images(client: GraphQLClient, settings: Settings) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice)
    body = await upload(client, alice, space, b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert stored_files(settings) == []
