"""Member, Ban and Invite carry stable ids, so normalized client caches update them in place."""

from tests.factories import create_role, create_space, join
from tests.graphql_client import Account, GraphQLClient

MEMBERS = """query($id: ID!) { space(id: $id) {
    members { edges { node { id user { tag } roles { name } } } }
} }"""
ASSIGN = """mutation($s: ID!, $u: ID!, $r: ID!) {
    assignRole(spaceId: $s, userId: $u, roleId: $r) { id roles { name } }
}"""
REMOVE = """mutation($s: ID!, $u: ID!, $r: ID!) {
    removeRole(spaceId: $s, userId: $u, roleId: $r) { id roles { name } }
}"""
BAN = """mutation($s: ID!, $u: ID!, $r: String) {
    banMember(spaceId: $s, userId: $u, reason: $r) { id reason }
}"""
BANS = "query($id: ID!) { space(id: $id) { bans { id reason user { tag } } } }"
INVITE = "mutation($id: ID!) { createInvite(spaceId: $id) { id code } }"
LEAVE = "mutation($id: ID!) { leaveSpace(spaceId: $id) }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


async def members(client: GraphQLClient, who: Account, space: str) -> dict[str, dict]:
    """The member list by tag: each member's id and role names."""
    data = await client.data(MEMBERS, {"id": space}, token=who.access_token)
    return {
        edge["node"]["user"]["tag"]: {
            "id": edge["node"]["id"],
            "roles": [role["name"] for role in edge["node"]["roles"]],
        }
        for edge in data["space"]["members"]["edges"]
    }


async def test_assign_role_returns_the_member_with_the_id_members_shows(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    mod = await create_role(client, alice, space, name="mod", position=3)
    listed = await members(client, alice, space)
    assert listed["bob"]["roles"] == ["everyone"]
    assert listed["alice"]["id"] != listed["bob"]["id"]

    variables = {"s": space, "u": bob.id, "r": mod["id"]}
    assigned = (await client.data(ASSIGN, variables, token=alice.access_token))["assignRole"]
    # A cache keyed by id (Apollo: Member:<id>, Graphcache: the same) updates the listed
    # member in place: same id, new roles.
    assert assigned == {"id": listed["bob"]["id"], "roles": [{"name": "mod"}, {"name": "everyone"}]}
    assert (await members(client, alice, space))["bob"] == {
        "id": listed["bob"]["id"],
        "roles": ["mod", "everyone"],
    }
    removed = (await client.data(REMOVE, variables, token=alice.access_token))["removeRole"]
    assert removed == {"id": listed["bob"]["id"], "roles": [{"name": "everyone"}]}


async def test_a_member_id_is_per_space_and_user_and_survives_rejoining(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    lounge = await create_space(client, alice, "Lounge", public=True)
    studio = await create_space(client, alice, "Studio", public=True)
    for space in (lounge, studio):
        await join(client, bob, space)
    in_lounge = (await members(client, bob, lounge))["bob"]["id"]
    assert in_lounge != (await members(client, bob, studio))["bob"]["id"]
    await client.data(LEAVE, {"id": lounge}, token=bob.access_token)
    await join(client, bob, lounge)
    assert (await members(client, bob, lounge))["bob"]["id"] == in_lounge


async def test_a_ban_keeps_its_id_in_the_ban_list_and_when_banned_again(
    client: GraphQLClient,
) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    space = await create_space(client, alice, public=True)
    banned = [
        (await client.data(BAN, {"s": space, "u": who.id, "r": "spam"}, token=alice.access_token))[
            "banMember"
        ]
        for who in (bob, carol)
    ]
    assert banned[0]["id"] != banned[1]["id"]
    again = await client.data(
        BAN, {"s": space, "u": bob.id, "r": "more spam"}, token=alice.access_token
    )
    assert again["banMember"] == {"id": banned[0]["id"], "reason": "more spam"}
    listed = (await client.data(BANS, {"id": space}, token=alice.access_token))["space"]["bans"]
    assert sorted((ban["user"]["tag"], ban["id"], ban["reason"]) for ban in listed) == [
        ("bob", banned[0]["id"], "more spam"),
        ("carol", banned[1]["id"], "spam"),
    ]


async def test_each_invite_has_an_id_of_its_own(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice)
    first, second = [
        (await client.data(INVITE, {"id": space}, token=alice.access_token))["createInvite"]
        for _ in range(2)
    ]
    assert first["id"] != second["id"] and first["code"] != second["code"]


async def test_member_ban_and_invite_ids_are_not_nodes(client: GraphQLClient) -> None:
    """They are keys for caches, not handles: node(id) finds none of them, even for the owner."""
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    ids = [
        (await members(client, alice, space))["bob"]["id"],
        (await client.data(INVITE, {"id": space}, token=alice.access_token))["createInvite"]["id"],
        (await client.data(BAN, {"s": space, "u": bob.id}, token=alice.access_token))["banMember"][
            "id"
        ],
    ]
    for global_id in ids:
        assert (await client.data(NODE, {"id": global_id}, token=alice.access_token)) == {
            "node": None
        }
