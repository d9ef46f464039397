"""Roles: the hierarchy decides who may create, change, assign and remove which roles."""

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import assign_role, create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient

ROLE_FIELDS = "id name color position permissions isDefault mentionable"
UPDATE = f"""mutation($role: ID!, $input: RoleInput!) {{
    updateRole(roleId: $role, input: $input) {{ {ROLE_FIELDS} }}
}}"""
DELETE = "mutation($role: ID!) { deleteRole(roleId: $role) }"
CREATE = f"""mutation($space: ID!, $input: RoleInput!) {{
    createRole(spaceId: $space, input: $input) {{ {ROLE_FIELDS} }}
}}"""
ASSIGN = """mutation($space: ID!, $user: ID!, $role: ID!) {
    assignRole(spaceId: $space, userId: $user, roleId: $role) { user { tag } roles { name } }
}"""
REMOVE = """mutation($space: ID!, $user: ID!, $role: ID!) {
    removeRole(spaceId: $space, userId: $user, roleId: $role) { user { tag } roles { name } }
}"""
PERMISSIONS = "query($id: ID!) { space(id: $id) { myPermissions roles { id name isDefault } } }"


@dataclass
class Team:
    """alice owns the space; bob moderates (position 5); carol and dave are plain members."""

    space: str
    owner: Account
    moderator: Account
    member: Account
    other_member: Account
    moderator_role: dict[str, Any]


@pytest.fixture
async def team(client: GraphQLClient) -> Team:
    alice, bob, carol, dave = [await client.register(t) for t in ("alice", "bob", "carol", "dave")]
    space = await create_space(client, alice, public=True)
    for account in (bob, carol, dave):
        await join(client, account, space)
    moderator = await create_role(
        client,
        alice,
        space,
        name="mod",
        position=5,
        permissions=["MANAGE_ROLES", "KICK_MEMBERS", "VIEW_CHANNELS"],
    )
    await assign_role(client, alice, space, bob, moderator["id"])
    return Team(space, alice, bob, carol, dave, moderator)


async def code(client: GraphQLClient, query: str, variables: dict[str, Any], who: Account) -> str:
    error = await client.error(query, variables, token=who.access_token)
    result: str = error["extensions"]["code"]
    return result


async def permissions_of(client: GraphQLClient, who: Account, space: str) -> list[str]:
    data = await client.data(PERMISSIONS, {"id": space}, token=who.access_token)
    result: list[str] = data["space"]["myPermissions"]
    return result


async def test_owner_creates_a_role_with_its_fields(client: GraphQLClient, team: Team) -> None:
    role = await create_role(
        client,
        team.owner,
        team.space,
        name=" Helpers ",
        color="#A1B2C3",
        permissions=["SEND_MESSAGES"],
        mentionable=True,
    )
    assert role["name"] == "Helpers" and role["color"] == "#a1b2c3"
    assert role["position"] == 1 and role["permissions"] == ["SEND_MESSAGES"]
    assert role["mentionable"] is True and role["isDefault"] is False


async def test_member_without_manage_roles_cannot_create_roles(
    client: GraphQLClient, team: Team
) -> None:
    variables = {"space": team.space, "input": {"name": "x"}}
    assert await code(client, CREATE, variables, team.member) == "FORBIDDEN"


async def test_outsider_cannot_see_a_private_space_s_roles(client: GraphQLClient) -> None:
    alice, mallory = await client.register("alice"), await client.register("mallory")
    space = await create_space(client, alice)
    variables = {"space": space, "input": {"name": "x"}}
    assert await code(client, CREATE, variables, mallory) == "NOT_FOUND"


@pytest.mark.parametrize("position", [5, 6])
async def test_moderator_cannot_create_a_role_at_or_above_its_own(
    client: GraphQLClient, team: Team, position: int
) -> None:
    variables = {"space": team.space, "input": {"name": "x", "position": position}}
    assert await code(client, CREATE, variables, team.moderator) == "FORBIDDEN"


async def test_moderator_creates_roles_below_it_with_its_own_permissions(
    client: GraphQLClient, team: Team
) -> None:
    role = await create_role(
        client, team.moderator, team.space, position=4, permissions=["KICK_MEMBERS"]
    )
    assert role["position"] == 4


@pytest.mark.parametrize("permission", ["BAN_MEMBERS", "ADMINISTRATOR", "MANAGE_SPACE"])
async def test_nobody_grants_a_permission_it_lacks(
    client: GraphQLClient, team: Team, permission: str
) -> None:
    variables = {"space": team.space, "input": {"name": "x", "permissions": [permission]}}
    assert await code(client, CREATE, variables, team.moderator) == "FORBIDDEN"
    low = await create_role(client, team.moderator, team.space, position=2)
    update = {"role": low["id"], "input": {"name": "x", "permissions": [permission]}}
    assert await code(client, UPDATE, update, team.moderator) == "FORBIDDEN"


async def test_moderator_cannot_change_or_delete_its_own_or_higher_roles(
    client: GraphQLClient, team: Team
) -> None:
    own = team.moderator_role["id"]
    update = {"role": own, "input": {"name": "supreme", "permissions": ["KICK_MEMBERS"]}}
    assert await code(client, UPDATE, update, team.moderator) == "FORBIDDEN"
    assert await code(client, DELETE, {"role": own}, team.moderator) == "FORBIDDEN"
    higher = await create_role(client, team.owner, team.space, position=9)
    assert await code(client, DELETE, {"role": higher["id"]}, team.moderator) == "FORBIDDEN"


async def test_moderator_cannot_raise_a_role_to_its_own_rank(
    client: GraphQLClient, team: Team
) -> None:
    low = await create_role(client, team.moderator, team.space, position=2)
    update = {"role": low["id"], "input": {"name": "low", "position": 5}}
    assert await code(client, UPDATE, update, team.moderator) == "FORBIDDEN"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "position": 0}, "position"),
        ({"name": "x", "position": 1001}, "position"),
    ],
)
async def test_bad_role_input_is_refused(
    client: GraphQLClient, team: Team, fields: dict[str, Any], field: str
) -> None:
    error = await client.error(
        CREATE, {"space": team.space, "input": fields}, token=team.owner.access_token
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_the_default_role_cannot_be_deleted_or_removed(
    client: GraphQLClient, team: Team
) -> None:
    roles = await client.data(PERMISSIONS, {"id": team.space}, token=team.owner.access_token)
    default = next(role for role in roles["space"]["roles"] if role["isDefault"])
    assert await code(client, DELETE, {"role": default["id"]}, team.owner) == "FORBIDDEN"
    removal = {"space": team.space, "user": team.member.id, "role": default["id"]}
    assert await code(client, REMOVE, removal, team.owner) == "FORBIDDEN"


async def test_owner_edits_the_default_role_for_everyone(client: GraphQLClient, team: Team) -> None:
    roles = await client.data(PERMISSIONS, {"id": team.space}, token=team.owner.access_token)
    default = next(role for role in roles["space"]["roles"] if role["isDefault"])
    update = {
        "role": default["id"],
        "input": {"name": "everyone", "permissions": ["VIEW_CHANNELS"]},
    }
    await client.data(UPDATE, update, token=team.owner.access_token)
    assert await permissions_of(client, team.member, team.space) == ["VIEW_CHANNELS"]


async def test_permissions_are_the_union_of_a_member_s_roles(
    client: GraphQLClient, team: Team
) -> None:
    before = await permissions_of(client, team.member, team.space)
    assert "KICK_MEMBERS" not in before and "MANAGE_ROLES" not in before
    kicker = await create_role(client, team.owner, team.space, permissions=["KICK_MEMBERS"])
    await assign_role(client, team.owner, team.space, team.member, kicker["id"])
    after = await permissions_of(client, team.member, team.space)
    assert set(after) == {*before, "KICK_MEMBERS"}


async def test_administrator_has_every_permission(client: GraphQLClient, team: Team) -> None:
    admin = await create_role(
        client, team.owner, team.space, position=3, permissions=["ADMINISTRATOR"]
    )
    await assign_role(client, team.owner, team.space, team.member, admin["id"])
    assert len(await permissions_of(client, team.member, team.space)) == 14


async def test_moderator_assigns_and_removes_lower_roles_on_lower_members(
    client: GraphQLClient, team: Team
) -> None:
    helper = await create_role(client, team.moderator, team.space, name="helper", position=2)
    args = {"space": team.space, "user": team.member.id, "role": helper["id"]}
    assigned = (await client.data(ASSIGN, args, token=team.moderator.access_token))["assignRole"]
    assert [role["name"] for role in assigned["roles"]] == ["helper", "everyone"]
    # Assigning twice is harmless.
    again = (await client.data(ASSIGN, args, token=team.moderator.access_token))["assignRole"]
    assert [role["name"] for role in again["roles"]] == ["helper", "everyone"]
    removed = (await client.data(REMOVE, args, token=team.moderator.access_token))["removeRole"]
    assert [role["name"] for role in removed["roles"]] == ["everyone"]


async def test_roles_cannot_be_changed_on_the_owner_equals_or_oneself(
    client: GraphQLClient, team: Team
) -> None:
    helper = await create_role(client, team.moderator, team.space, name="helper", position=2)
    peer_role = team.moderator_role["id"]
    await assign_role(client, team.owner, team.space, team.other_member, peer_role)
    for target in (team.owner, team.other_member, team.moderator):
        args = {"space": team.space, "user": target.id, "role": helper["id"]}
        assert await code(client, ASSIGN, args, team.moderator) == "FORBIDDEN"
        assert await code(client, REMOVE, args, team.moderator) == "FORBIDDEN"


async def test_moderator_cannot_hand_out_its_own_role(client: GraphQLClient, team: Team) -> None:
    args = {"space": team.space, "user": team.member.id, "role": team.moderator_role["id"]}
    assert await code(client, ASSIGN, args, team.moderator) == "FORBIDDEN"


async def test_role_of_another_space_is_not_found(client: GraphQLClient, team: Team) -> None:
    elsewhere = await create_space(client, team.owner, "Elsewhere")
    foreign = await create_role(client, team.owner, elsewhere)
    args = {"space": team.space, "user": team.member.id, "role": foreign["id"]}
    assert await code(client, ASSIGN, args, team.owner) == "NOT_FOUND"


async def test_deleting_a_role_takes_its_permissions_away(
    client: GraphQLClient, team: Team
) -> None:
    kicker = await create_role(client, team.owner, team.space, permissions=["BAN_MEMBERS"])
    await assign_role(client, team.owner, team.space, team.member, kicker["id"])
    assert "BAN_MEMBERS" in await permissions_of(client, team.member, team.space)
    await client.data(DELETE, {"role": kicker["id"]}, token=team.owner.access_token)
    assert "BAN_MEMBERS" not in await permissions_of(client, team.member, team.space)


async def test_non_members_see_no_roles(client: GraphQLClient, team: Team) -> None:
    outsider = await client.register("outsider")
    data = await client.data(PERMISSIONS, {"id": team.space}, token=outsider.access_token)
    assert data["space"] == {"myPermissions": [], "roles": []}
