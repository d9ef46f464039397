"""Channels of a space: who may create, change and delete them, and who sees them."""

from dataclasses import dataclass
from typing import Any

import pytest

from graphql_schema.ids import to_global_id
from tests.factories import assign_role, create_role, create_space, join, join_by_invite
from tests.graphql_client import Account, GraphQLClient

CHANNEL_FIELDS = "id kind title topic space { id } participants { id }"
CREATE = f"""mutation($space: ID!, $input: ChannelInput!) {{
    createChannel(spaceId: $space, input: $input) {{ {CHANNEL_FIELDS} }}
}}"""
UPDATE = f"""mutation($chat: ID!, $input: ChannelInput!) {{
    updateChannel(chatId: $chat, input: $input) {{ {CHANNEL_FIELDS} }}
}}"""
DELETE = "mutation($chat: ID!) { deleteChannel(chatId: $chat) }"
CHANNELS = f"query($id: ID!) {{ space(id: $id) {{ channels {{ {CHANNEL_FIELDS} }} }} }}"
CHAT = f"query($id: ID!) {{ chat(id: $id) {{ {CHANNEL_FIELDS} }} }}"
SPACE_ROLES = "query($id: ID!) { space(id: $id) { roles { id isDefault } } }"
UPDATE_ROLE = (
    "mutation($role: ID!, $input: RoleInput!) { updateRole(roleId: $role, input: $input) { id } }"
)


@dataclass
class Crew:
    """A private space: alice owns it, carol manages channels, bob is a plain member,
    mallory is an outsider."""

    space: str
    general: dict[str, Any]
    owner: Account
    manager: Account
    member: Account
    outsider: Account


@pytest.fixture
async def crew(client: GraphQLClient) -> Crew:
    alice, bob, carol, mallory = [
        await client.register(tag) for tag in ("alice", "bob", "carol", "mallory")
    ]
    space = await create_space(client, alice)
    for account in (bob, carol):
        await join_by_invite(client, alice, account, space)
    role = await create_role(client, alice, space, name="channels", permissions=["MANAGE_CHANNELS"])
    await assign_role(client, alice, space, carol, role["id"])
    [general] = await channels_seen_by(client, alice, space) or []
    return Crew(space, general, alice, carol, bob, mallory)


async def code_of(
    client: GraphQLClient, query: str, variables: dict[str, Any], who: Account | None
) -> str:
    token = who.access_token if who else None
    code: str = (await client.error(query, variables, token=token))["extensions"]["code"]
    return code


async def channels_seen_by(client: GraphQLClient, who: Account, space: str) -> list[dict] | None:
    """`Space.channels` for `who`; None when the space itself is invisible."""
    found = (await client.data(CHANNELS, {"id": space}, token=who.access_token))["space"]
    return None if found is None else found["channels"]


async def seen_by(client: GraphQLClient, who: Account, chat_id: str) -> dict[str, Any] | None:
    chat: dict[str, Any] | None = (
        await client.data(CHAT, {"id": chat_id}, token=who.access_token)
    )["chat"]
    return chat


async def create_channel(
    client: GraphQLClient, who: Account, space: str, title: str, topic: str | None = None
) -> dict[str, Any]:
    variables = {"space": space, "input": {"title": title, "topic": topic}}
    channel: dict[str, Any] = (await client.data(CREATE, variables, token=who.access_token))[
        "createChannel"
    ]
    return channel


async def test_new_space_has_a_general_channel(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice)
    channels = await channels_seen_by(client, alice, space)
    assert channels is not None and len(channels) == 1
    general = channels[0]
    assert general["kind"] == "CHANNEL" and general["title"] == "general"
    assert general["topic"] is None and general["participants"] == []
    assert general["space"] == {"id": space}
    assert await seen_by(client, alice, general["id"]) == general


@pytest.mark.parametrize("actor", ["owner", "manager"])
async def test_channel_managers_create_update_and_delete_channels(
    client: GraphQLClient, crew: Crew, actor: str
) -> None:
    who: Account = getattr(crew, actor)
    created = await create_channel(client, who, crew.space, "  Random ", " off topic ")
    assert created["kind"] == "CHANNEL" and created["space"] == {"id": crew.space}
    assert (created["title"], created["topic"]) == ("Random", "off topic")
    assert created["participants"] == []
    assert await channels_seen_by(client, crew.member, crew.space) == [crew.general, created]

    changes = {"chat": created["id"], "input": {"title": " Lounge", "topic": "sofas "}}
    updated = (await client.data(UPDATE, changes, token=who.access_token))["updateChannel"]
    assert (updated["id"], updated["title"], updated["topic"]) == (created["id"], "Lounge", "sofas")
    assert await seen_by(client, crew.member, created["id"]) == updated

    assert (await client.data(DELETE, {"chat": created["id"]}, token=who.access_token))[
        "deleteChannel"
    ]
    for viewer in (crew.owner, crew.member):
        assert await seen_by(client, viewer, created["id"]) is None
        assert await channels_seen_by(client, viewer, crew.space) == [crew.general]


async def test_update_without_a_topic_keeps_it_and_an_empty_one_clears_it(
    client: GraphQLClient, crew: Crew
) -> None:
    created = await create_channel(client, crew.owner, crew.space, "news", "daily")
    rename = {"chat": created["id"], "input": {"title": "headlines"}}
    updated = (await client.data(UPDATE, rename, token=crew.owner.access_token))["updateChannel"]
    assert (updated["title"], updated["topic"]) == ("headlines", "daily")
    clear = {"chat": created["id"], "input": {"title": "headlines", "topic": " "}}
    cleared = (await client.data(UPDATE, clear, token=crew.owner.access_token))["updateChannel"]
    assert cleared["topic"] is None


async def test_channel_limits_are_inclusive(client: GraphQLClient, crew: Crew) -> None:
    created = await create_channel(client, crew.owner, crew.space, "x" * 100, "y" * 1024)
    assert len(created["title"]) == 100 and len(created["topic"]) == 1024


async def test_plain_member_cannot_manage_channels(client: GraphQLClient, crew: Crew) -> None:
    general = crew.general["id"]
    create = {"space": crew.space, "input": {"title": "mine"}}
    assert await code_of(client, CREATE, create, crew.member) == "FORBIDDEN"
    update = {"chat": general, "input": {"title": "pwned"}}
    assert await code_of(client, UPDATE, update, crew.member) == "FORBIDDEN"
    assert await code_of(client, DELETE, {"chat": general}, crew.member) == "FORBIDDEN"
    assert await channels_seen_by(client, crew.owner, crew.space) == [crew.general]


async def test_outsider_of_a_private_space_finds_no_channels_to_manage(
    client: GraphQLClient, crew: Crew
) -> None:
    general = crew.general["id"]
    create = {"space": crew.space, "input": {"title": "mine"}}
    assert await code_of(client, CREATE, create, crew.outsider) == "NOT_FOUND"
    update = {"chat": general, "input": {"title": "pwned"}}
    assert await code_of(client, UPDATE, update, crew.outsider) == "NOT_FOUND"
    assert await code_of(client, DELETE, {"chat": general}, crew.outsider) == "NOT_FOUND"
    assert await channels_seen_by(client, crew.owner, crew.space) == [crew.general]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"title": "ok", "topic": "x" * 1025}, "topic"),
    ],
)
async def test_bad_channel_input_is_refused(
    client: GraphQLClient, crew: Crew, fields: dict[str, Any], field: str
) -> None:
    token = crew.owner.access_token
    expected = {"code": "BAD_USER_INPUT", "field": field}
    error = await client.error(CREATE, {"space": crew.space, "input": fields}, token=token)
    assert error["extensions"] == expected
    error = await client.error(UPDATE, {"chat": crew.general["id"], "input": fields}, token=token)
    assert error["extensions"] == expected
    assert await channels_seen_by(client, crew.owner, crew.space) == [crew.general]


async def test_direct_chat_is_no_channel_to_manage(client: GraphQLClient, crew: Crew) -> None:
    opened = await client.data(
        "mutation($user: ID!) { openDirectChat(userId: $user) { id } }",
        {"user": crew.member.id},
        token=crew.owner.access_token,
    )
    direct = opened["openDirectChat"]["id"]
    update = {"chat": direct, "input": {"title": "hijacked"}}
    assert await code_of(client, UPDATE, update, crew.owner) == "NOT_FOUND"
    assert await code_of(client, DELETE, {"chat": direct}, crew.owner) == "NOT_FOUND"
    still = await seen_by(client, crew.owner, direct)
    assert still is not None and still["kind"] == "DIRECT" and still["title"] is None


async def test_members_see_channels_and_outsiders_of_a_private_space_do_not(
    client: GraphQLClient, crew: Crew
) -> None:
    general = crew.general["id"]
    assert await seen_by(client, crew.member, general) == crew.general
    assert await channels_seen_by(client, crew.member, crew.space) == [crew.general]
    assert await seen_by(client, crew.outsider, general) is None
    assert await channels_seen_by(client, crew.outsider, crew.space) is None


async def test_non_member_of_a_public_space_sees_no_channels(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    [general] = await channels_seen_by(client, alice, space) or []
    assert await channels_seen_by(client, bob, space) == []
    assert await seen_by(client, bob, general["id"]) is None


async def test_without_view_channels_a_member_sees_no_channels(
    client: GraphQLClient, crew: Crew
) -> None:
    roles = await client.data(SPACE_ROLES, {"id": crew.space}, token=crew.owner.access_token)
    default = next(role for role in roles["space"]["roles"] if role["isDefault"])
    update = {
        "role": default["id"],
        "input": {"name": "everyone", "permissions": ["SEND_MESSAGES"]},
    }
    await client.data(UPDATE_ROLE, update, token=crew.owner.access_token)
    assert await channels_seen_by(client, crew.member, crew.space) == []
    assert await seen_by(client, crew.member, crew.general["id"]) is None
    assert await channels_seen_by(client, crew.owner, crew.space) == [crew.general]
    assert await seen_by(client, crew.owner, crew.general["id"]) == crew.general


async def test_member_who_leaves_the_space_no_longer_sees_its_channels(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    [general] = await channels_seen_by(client, bob, space) or []
    leave = "mutation($id: ID!) { leaveSpace(spaceId: $id) }"
    assert (await client.data(leave, {"id": space}, token=bob.access_token))["leaveSpace"]
    assert await channels_seen_by(client, bob, space) == []
    assert await seen_by(client, bob, general["id"]) is None


CHAT_ID, SPACE_ID = to_global_id("Chat", 1), to_global_id("Space", 1)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CREATE, {"space": SPACE_ID, "input": {"title": "x"}}),
        (UPDATE, {"chat": CHAT_ID, "input": {"title": "x"}}),
        (DELETE, {"chat": CHAT_ID}),
    ],
)
async def test_channel_operations_require_sign_in(
    client: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    assert await code_of(client, query, variables, None) == "UNAUTHENTICATED"
