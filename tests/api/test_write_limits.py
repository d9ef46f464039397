"""Per-user rate limits on the writes that fan out or cost storage, one setting each.

Each case gives alice and bob what the action needs, then alice makes three changes under a
limit of two a minute: the third is RATE_LIMITED with retryAfter, bob is not held back, and
repeating a change already made (where the action is idempotent) is still answered.
"""

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from app.main import create_app
from tests.backends import Backend
from tests.conftest import make_settings
from tests.factories import assign_role, create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient

World = dict[str, Any]
Act = Callable[[GraphQLClient, World, Account, int], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    act: Act  # alice's n-th change (n = 0, 1, 2), or bob's first (n = 0)
    prepare: Callable[[GraphQLClient, World], Awaitable[None]] | None = None
    repeat: Act | None = None  # alice repeating what she already did: never refused


async def run(
    client: GraphQLClient, who: Account, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await client.execute(query, variables, token=who.access_token)


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


# --- reactions --------------------------------------------------------------------------------

ADD = "mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }"
REMOVE = "mutation($m: ID!, $e: String!) { removeReaction(messageId: $m, emoji: $e) { id } }"
GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"
SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
REACTIONS = "query($id: ID!) { node(id: $id) { ... on Message { reactions { emoji count } } } }"


async def prepare_reactions(client: GraphQLClient, world: World) -> None:
    users = [world["bob"].id, world["carol"].id]
    chat = data(await run(client, world["alice"], GROUP, {"input": {"userIds": users}}))
    variables = {"input": {"chatId": chat["createGroupChat"]["id"], "content": "react!"}}
    world["message"] = data(await run(client, world["carol"], SEND, variables))["sendMessage"]["id"]


async def react(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    query, emoji = [(ADD, "😀"), (ADD, "😃"), (REMOVE, "😀")][n]
    return await run(client, who, query, {"m": world["message"], "e": emoji})


async def react_again(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    """Adding a reaction one has, removing one one has not: nothing changes."""
    data(await run(client, who, ADD, {"m": world["message"], "e": "😃"}))
    data(await run(client, who, REMOVE, {"m": world["message"], "e": "🙃"}))
    # The refused removal left alice's 😀 in place.
    found = data(await run(client, who, REACTIONS, {"id": world["message"]}))
    assert {r["emoji"]: r["count"] for r in found["node"]["reactions"]} == {"😀": 2, "😃": 1}
    return {}


# --- uploads ----------------------------------------------------------------------------------

PNG = io.BytesIO()
Image.new("RGB", (8, 8), (10, 120, 200)).save(PNG, format="PNG")


async def prepare_own_space(client: GraphQLClient, world: World) -> None:
    world["space"] = await create_space(client, world["alice"], public=True)


async def upload(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    field, arguments = [
        ("uploadAvatar", ""),
        ("uploadSpaceBanner", f'spaceId: "{world["space"]}", '),
        ("uploadBanner", ""),
    ][n]
    response = await client.upload(
        f"mutation($file: Upload!) {{ {field}({arguments}file: $file) {{ id }} }}",
        {"file": None},
        {"variables.file": ("image.png", PNG.getvalue(), "image/png")},
        token=who.access_token,
    )
    body: dict[str, Any] = response.json()
    return body


# --- invites, spaces, profiles, status --------------------------------------------------------

INVITE = "mutation($s: ID!) { createInvite(spaceId: $s) { code } }"
CREATE_SPACE = "mutation($name: String!) { createSpace(input: {name: $name}) { id } }"
UPDATE_PROFILE = "mutation($name: String!) { updateProfile(input: {displayName: $name}) { id } }"
UPDATE_SPACE = (
    "mutation($s: ID!, $name: String!) { updateSpace(id: $s, input: {name: $name}) { id } }"
)
SET_STATUS = "mutation($s: PresenceStatus!) { setStatus(status: $s) { id } }"


async def prepare_shared_space(client: GraphQLClient, world: World) -> None:
    """alice's public space, which bob joined."""
    world["space"] = await create_space(client, world["alice"], public=True)
    await join(client, world["bob"], world["space"])


async def invite(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    return await run(client, who, INVITE, {"s": world["space"]})


async def create(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    return await run(client, who, CREATE_SPACE, {"name": f"space {n}"})


async def update_profile(
    client: GraphQLClient, world: World, who: Account, n: int
) -> dict[str, Any]:
    if n == 1:
        return await run(client, who, UPDATE_SPACE, {"s": world["space"], "name": "renamed"})
    return await run(client, who, UPDATE_PROFILE, {"name": f"name {n}"})


async def set_status(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    return await run(client, who, SET_STATUS, {"s": ["AWAY", "DND", "ONLINE"][n]})


async def same_status(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    return await run(client, who, SET_STATUS, {"s": "DND"})  # the refused ONLINE did not apply


# --- channels, roles and moderation in alice's space, where bob has the rights ---------------

CREATE_CHANNEL = (
    "mutation($s: ID!, $t: String!) { createChannel(spaceId: $s, input: {title: $t}) { id } }"
)
UPDATE_CHANNEL = 'mutation($c: ID!) { updateChannel(chatId: $c, input: {title: "renamed"}) { id } }'
CREATE_ROLE = (
    'mutation($s: ID!) { createRole(spaceId: $s, input: {name: "r", position: 1}) { id } }'
)
UPDATE_ROLE = 'mutation($r: ID!) { updateRole(roleId: $r, input: {name: "renamed"}) { id } }'
BAN = "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { reason } }"
UNBAN = "mutation($s: ID!, $u: ID!) { unbanMember(spaceId: $s, userId: $u) }"
KICK = "mutation($s: ID!, $u: ID!) { kickMember(spaceId: $s, userId: $u) }"
ASSIGN = """mutation($s: ID!, $u: ID!, $r: ID!) {
    assignRole(spaceId: $s, userId: $u, roleId: $r) { joinedAt }
}"""


def rights(*permissions: str) -> Callable[[GraphQLClient, World], Awaitable[None]]:
    """carol's public space, where alice and bob hold a role with `permissions` (carol sets
    it up, so none of it counts against alice)."""

    async def prepare(client: GraphQLClient, world: World) -> None:
        carol, space = world["carol"], await create_space(client, world["carol"], public=True)
        role = await create_role(client, carol, space, position=10, permissions=list(permissions))
        for tag in ("alice", "bob"):
            await join(client, world[tag], space)
            await assign_role(client, carol, space, world[tag], role["id"])
        world["space"] = space

    return prepare


async def channel(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    if n == 1:
        return await run(client, who, UPDATE_CHANNEL, {"c": world["channel"]})
    body = await run(client, who, CREATE_CHANNEL, {"s": world["space"], "t": f"c{n}"})
    if n == 0 and who is world["alice"]:
        world["channel"] = data(body)["createChannel"]["id"]
    return body


async def role(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    if n == 1:
        return await run(client, who, UPDATE_ROLE, {"r": world["created_role"]})
    body = await run(client, who, CREATE_ROLE, {"s": world["space"]})
    if n == 0 and who is world["alice"]:
        world["created_role"] = data(body)["createRole"]["id"]
    return body


async def prepare_moderation(client: GraphQLClient, world: World) -> None:
    await rights("BAN_MEMBERS", "KICK_MEMBERS", "MANAGE_ROLES")(client, world)
    await join(client, world["dave"], world["space"])
    world["role"] = (await create_role(client, world["carol"], world["space"], position=1))["id"]


async def moderate(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    space = world["space"]
    if n == 0:  # bob bans erin again: that updates the ban
        return await run(client, who, BAN, {"s": space, "u": world["erin"].id})
    if n == 1:
        return await run(
            client, who, ASSIGN, {"s": space, "u": world["dave"].id, "r": world["role"]}
        )
    return await run(client, who, KICK, {"s": space, "u": world["dave"].id})


async def moderate_again(
    client: GraphQLClient, world: World, who: Account, n: int
) -> dict[str, Any]:
    """Assigning a role already held, lifting a ban there is not: nothing changes."""
    variables = {"s": world["space"], "u": world["dave"].id, "r": world["role"]}
    data(await run(client, who, ASSIGN, variables))
    lifted = data(await run(client, who, UNBAN, {"s": world["space"], "u": world["dave"].id}))
    assert lifted == {"unbanMember": False}
    return {}


# --- direct and group chats -------------------------------------------------------------------

OPEN_DIRECT = "mutation($u: ID!) { openDirectChat(userId: $u) { id } }"
ADD_PARTICIPANT = "mutation($c: ID!, $u: ID!) { addChatParticipant(chatId: $c, userId: $u) { id } }"


async def chat(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    if n == 0:
        return await run(client, who, OPEN_DIRECT, {"u": world["carol"].id})
    if n == 1:
        body = await run(client, who, GROUP, {"input": {"userIds": [world["carol"].id]}})
        world["group"] = data(body)["createGroupChat"]["id"]
        return body
    return await run(client, who, ADD_PARTICIPANT, {"c": world["group"], "u": world["dave"].id})


async def chat_again(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    """The existing direct chat, a participant already there: nothing changes."""
    data(await run(client, who, OPEN_DIRECT, {"u": world["carol"].id}))
    return await run(client, who, ADD_PARTICIPANT, {"c": world["group"], "u": world["carol"].id})


# --- joining spaces ---------------------------------------------------------------------------

JOIN = "mutation($s: ID, $code: String) { joinSpace(spaceId: $s, inviteCode: $code) { id } }"


async def prepare_joins(client: GraphQLClient, world: World) -> None:
    """Three public spaces of carol's; the second one is joined by invite."""
    world["spaces"] = [await create_space(client, world["carol"], public=True) for _ in range(3)]
    body = await run(client, world["carol"], INVITE, {"s": world["spaces"][1]})
    world["code"] = data(body)["createInvite"]["code"]


async def join_space(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    if n == 1:
        return await run(client, who, JOIN, {"code": world["code"]})
    return await run(client, who, JOIN, {"s": world["spaces"][n]})


async def join_again(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    data(await run(client, who, JOIN, {"code": world["code"]}))
    return await run(client, who, JOIN, {"s": world["spaces"][0]})


# --- pins -------------------------------------------------------------------------------------

PIN = "mutation($m: ID!) { pinMessage(id: $m) { id } }"
UNPIN = "mutation($m: ID!) { unpinMessage(id: $m) { id } }"


async def prepare_pins(client: GraphQLClient, world: World) -> None:
    """A group chat of alice, bob and carol with two messages of carol's."""
    users = [world["bob"].id, world["carol"].id]
    chat = data(await run(client, world["alice"], GROUP, {"input": {"userIds": users}}))
    variables = {"input": {"chatId": chat["createGroupChat"]["id"], "content": "pin me"}}
    world["messages"] = [
        data(await run(client, world["carol"], SEND, variables))["sendMessage"]["id"]
        for _ in range(2)
    ]


async def pin(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    """Pin, unpin, pin again (bob's pin finds the message unpinned)."""
    return await run(client, who, UNPIN if n == 1 else PIN, {"m": world["messages"][0]})


async def pin_again(client: GraphQLClient, world: World, who: Account, n: int) -> dict[str, Any]:
    """Pinning the pinned message (bob pinned it), unpinning one not pinned: no change."""
    data(await run(client, who, PIN, {"m": world["messages"][0]}))
    return await run(client, who, UNPIN, {"m": world["messages"][1]})


CASES = {
    "reaction": Case(react, prepare_reactions, react_again),
    "upload": Case(upload, prepare_own_space),
    "invite": Case(invite, prepare_shared_space),
    "space": Case(create),
    "channel": Case(channel, rights("MANAGE_CHANNELS", "VIEW_CHANNELS")),
    "role": Case(role, rights("MANAGE_ROLES", "VIEW_CHANNELS")),
    "moderation": Case(moderate, prepare_moderation, moderate_again),
    "chat": Case(chat, None, chat_again),
    "join": Case(join_space, prepare_joins, join_again),
    "profile": Case(update_profile, prepare_own_space),
    "status": Case(set_status, None, same_status),
    "pin": Case(pin, prepare_pins, pin_again),
}


@pytest.fixture(params=list(CASES))
async def limited(
    request: pytest.FixtureRequest, backend: Backend, tmp_path: Path
) -> AsyncIterator[tuple[GraphQLClient, str]]:
    """A client of an app whose limit on one action is two a minute per user."""
    action: str = request.param
    settings = make_settings(backend, tmp_path / "app", **{f"{action}_rate_limit": "2/minute"})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http), action


async def test_each_write_is_limited_per_user_and_repeats_are_still_answered(
    limited: tuple[GraphQLClient, str],
) -> None:
    client, action = limited
    case = CASES[action]
    world: World = {
        tag: await client.register(tag) for tag in ("alice", "bob", "carol", "dave", "erin")
    }
    if case.prepare is not None:
        await case.prepare(client, world)
    alice, bob = world["alice"], world["bob"]
    for n in range(2):
        data(await case.act(client, world, alice, n))
    body = await case.act(client, world, alice, 2)
    assert body.get("errors"), f"the third {action} went through"
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED", body
    assert 0 < error["extensions"]["retryAfter"] <= 60
    data(await case.act(client, world, bob, 0))
    if case.repeat is not None:
        body = await case.repeat(client, world, alice, 0)
        assert not body.get("errors"), body
