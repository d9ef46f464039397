"""The world the authorization matrices try every mutation in, and how they try.

The space is private. alice owns it; bob moderates (position 5); dave ranks above bob
(position 7, no powers); carol is a plain member; erin is the usual target; mallory is an
outsider; trent is banned. A case names the outcome for each caller: "ok" or the error
code.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from tests.factories import (
    assign_role,
    create_role,
    create_space,
    join_by_invite,
    register_directly,
)
from tests.graphql_client import Account, GraphQLClient

MOD_PERMISSIONS = ["MANAGE_CHANNELS", "MANAGE_ROLES", "KICK_MEMBERS", "BAN_MEMBERS"]


@dataclass
class World:
    space: str
    channel: str
    helper_role: str  # position 2: below the moderator
    senior_role: str  # position 7: above the moderator
    invite: str
    accounts: dict[str, Account]
    named: dict[str, str] = field(default_factory=dict)  # what a matrix adds, by name

    def id(self, name: str) -> str:
        return self.accounts[name].id


NAMES = ("alice", "bob", "dave", "carol", "erin", "mallory", "trent")
worlds = itertools.count()


async def build_world(client: GraphQLClient, app: Starlette) -> World:
    n = next(worlds)
    accounts = {name: await register_directly(app, f"{name}{n}") for name in NAMES}
    alice = accounts["alice"]
    space = await create_space(client, alice)
    for name in ("bob", "dave", "carol", "erin"):
        await join_by_invite(client, alice, accounts[name], space)
    mod = await create_role(
        client, alice, space, name="mod", position=5, permissions=MOD_PERMISSIONS
    )
    senior = await create_role(client, alice, space, name="senior", position=7)
    helper = await create_role(client, alice, space, name="helper", position=2)
    await assign_role(client, alice, space, accounts["bob"], mod["id"])
    await assign_role(client, alice, space, accounts["dave"], senior["id"])
    await client.data(
        "mutation($s: ID!, $u: ID!) { banMember(spaceId: $s, userId: $u) { reason } }",
        {"s": space, "u": accounts["trent"].id},
        token=alice.access_token,
    )
    data = await client.data(
        "query($id: ID!) { space(id: $id) { channels { id } } }",
        {"id": space},
        token=alice.access_token,
    )
    invite = await client.data(
        "mutation($id: ID!) { createInvite(spaceId: $id) { code } }",
        {"id": space},
        token=alice.access_token,
    )
    return World(
        space=space,
        channel=data["space"]["channels"][0]["id"],
        helper_role=helper["id"],
        senior_role=senior["id"],
        invite=invite["createInvite"]["code"],
        accounts=accounts,
    )


@dataclass(frozen=True)
class Case:
    query: str
    variables: Callable[[World], dict[str, Any]]
    outcomes: dict[str, str]  # caller -> "ok" or the error code
    files: dict[str, tuple[str, bytes, str]] | None = None  # uploads, by variable path


async def attempt(client: GraphQLClient, case: Case, world: World, caller: str) -> str:
    token = world.accounts[caller].access_token
    if case.files is None:
        body = await client.execute(case.query, case.variables(world), token=token)
    else:
        response = await client.upload(case.query, case.variables(world), case.files, token=token)
        assert response.status_code == 200, response.text
        body = response.json()
    errors = body.get("errors") or []
    return str(errors[0]["extensions"]["code"]) if errors else "ok"
