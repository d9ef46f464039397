"""Spaces: who may create, see, change, join, leave and delete them."""

from datetime import timedelta

import pytest
from starlette.applications import Starlette

from db.base import utcnow
from db.models import Ban
from graphql_schema.ids import parse_global_id
from tests.conftest import StatementCounter
from tests.graphql_client import Account, GraphQLClient

CREATE = """mutation($input: CreateSpaceInput!) {
    createSpace(input: $input) {
        id name description isPublic memberCount myPermissions owner { tag }
    }
}"""
SPACE = "query($id: ID!) { space(id: $id) { id name memberCount myPermissions } }"
JOIN = """mutation($spaceId: ID, $code: String) {
    joinSpace(spaceId: $spaceId, inviteCode: $code) { id memberCount }
}"""
LEAVE = "mutation($id: ID!) { leaveSpace(spaceId: $id) }"
INVITE = """mutation($id: ID!, $maxUses: Int, $expires: Int) {
    createInvite(spaceId: $id, maxUses: $maxUses, expiresInSeconds: $expires) {
        code uses maxUses expiresAt creator { tag } space { id }
    }
}"""
ALL_PERMISSIONS = [
    "ADMINISTRATOR",
    "MANAGE_SPACE",
    "MANAGE_CHANNELS",
    "MANAGE_ROLES",
    "KICK_MEMBERS",
    "BAN_MEMBERS",
    "CREATE_INVITES",
    "VIEW_CHANNELS",
    "SEND_MESSAGES",
    "ATTACH_FILES",
    "ADD_REACTIONS",
    "MENTION_EVERYONE",
    "MANAGE_MESSAGES",
    "PIN_MESSAGES",
]


async def create_space(
    client: GraphQLClient, owner: Account, name: str = "Lounge", *, public: bool = False
) -> str:
    data = await client.data(
        CREATE, {"input": {"name": name, "isPublic": public}}, token=owner.access_token
    )
    space_id: str = data["createSpace"]["id"]
    return space_id


async def code_of(
    client: GraphQLClient, query: str, variables: dict, account: Account | None
) -> str:
    token = account.access_token if account else None
    code: str = (await client.error(query, variables, token=token))["extensions"]["code"]
    return code


async def invite(client: GraphQLClient, account: Account, space_id: str, **options: int) -> str:
    data = await client.data(INVITE, {"id": space_id, **options}, token=account.access_token)
    code: str = data["createInvite"]["code"]
    return code


async def test_creator_owns_the_new_space(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    variables = {"input": {"name": "  Lounge ", "description": " chat ", "isPublic": True}}
    space = (await client.data(CREATE, variables, token=alice.access_token))["createSpace"]
    assert space["name"] == "Lounge" and space["description"] == "chat" and space["isPublic"]
    assert space["owner"] == {"tag": "alice"}
    assert space["memberCount"] == 1
    assert space["myPermissions"] == ALL_PERMISSIONS
    mine = await client.data("{ mySpaces { id } }", token=alice.access_token)
    assert mine["mySpaces"] == [{"id": space["id"]}]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_bad_space_name_is_refused(client: GraphQLClient, name: str) -> None:
    alice = await client.register("alice")
    error = await client.error(CREATE, {"input": {"name": name}}, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}
    assert (await client.data("{ mySpaces { id } }", token=alice.access_token))["mySpaces"] == []


async def test_creating_a_space_requires_sign_in(client: GraphQLClient) -> None:
    assert await code_of(client, CREATE, {"input": {"name": "x"}}, None) == "UNAUTHENTICATED"


async def test_private_space_is_invisible_to_outsiders(client: GraphQLClient) -> None:
    alice, mallory = await client.register("alice"), await client.register("mallory")
    space_id = await create_space(client, alice)
    assert (await client.data(SPACE, {"id": space_id}, token=mallory.access_token))["space"] is None
    assert await code_of(client, JOIN, {"spaceId": space_id}, mallory) == "NOT_FOUND"
    assert await code_of(client, INVITE, {"id": space_id}, mallory) == "NOT_FOUND"
    update = 'mutation($id: ID!) { updateSpace(id: $id, input: {name: "pwned"}) { id } }'
    assert await code_of(client, update, {"id": space_id}, mallory) == "NOT_FOUND"


async def test_public_space_is_visible_but_grants_nothing_before_joining(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice, public=True)
    space = (await client.data(SPACE, {"id": space_id}, token=bob.access_token))["space"]
    assert space["myPermissions"] == []
    assert await code_of(client, INVITE, {"id": space_id}, bob) == "FORBIDDEN"


async def test_only_managers_update_a_space(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice, public=True)
    await client.data(JOIN, {"spaceId": space_id}, token=bob.access_token)
    update = """mutation($id: ID!, $input: UpdateSpaceInput!) {
        updateSpace(id: $id, input: $input) { name description isPublic }
    }"""
    changes = {"id": space_id, "input": {"name": "Renamed", "isPublic": False}}
    assert await code_of(client, update, changes, bob) == "FORBIDDEN"
    updated = (await client.data(update, changes, token=alice.access_token))["updateSpace"]
    assert updated == {"name": "Renamed", "description": None, "isPublic": False}


async def test_only_the_owner_deletes_a_space(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice, public=True)
    await client.data(JOIN, {"spaceId": space_id}, token=bob.access_token)
    delete = "mutation($id: ID!) { deleteSpace(id: $id) }"
    assert await code_of(client, delete, {"id": space_id}, bob) == "FORBIDDEN"
    assert (await client.data(delete, {"id": space_id}, token=alice.access_token))["deleteSpace"]
    assert (await client.data(SPACE, {"id": space_id}, token=alice.access_token))["space"] is None
    assert (await client.data("{ mySpaces { id } }", token=bob.access_token))["mySpaces"] == []


async def test_joining_a_public_space_twice_is_harmless(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice, public=True)
    for _ in range(2):
        joined = await client.data(JOIN, {"spaceId": space_id}, token=bob.access_token)
        assert joined["joinSpace"]["memberCount"] == 2
    space = (await client.data(SPACE, {"id": space_id}, token=bob.access_token))["space"]
    assert (
        "SEND_MESSAGES" in space["myPermissions"] and "MANAGE_SPACE" not in space["myPermissions"]
    )


async def test_join_needs_exactly_one_of_space_id_and_invite(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space_id = await create_space(client, alice, public=True)
    code = await invite(client, alice, space_id)
    assert await code_of(client, JOIN, {}, alice) == "BAD_USER_INPUT"
    assert await code_of(client, JOIN, {"spaceId": space_id, "code": code}, alice) == (
        "BAD_USER_INPUT"
    )


async def test_invite_admits_to_a_private_space_up_to_its_max_uses(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    space_id = await create_space(client, alice)
    code = await invite(client, alice, space_id, maxUses=1)
    assert len(code) >= 16
    joined = await client.data(JOIN, {"code": code}, token=bob.access_token)
    assert joined["joinSpace"] == {"id": space_id, "memberCount": 2}
    # Joining again does not spend another use; a second person finds it used up.
    await client.data(JOIN, {"code": code}, token=bob.access_token)
    assert await code_of(client, JOIN, {"code": code}, carol) == "NOT_FOUND"
    assert await code_of(client, JOIN, {"code": "no-such-code"}, carol) == "NOT_FOUND"


async def test_expired_invite_admits_nobody(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice)
    code = await invite(client, alice, space_id, expires=60)
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr("resolvers.invites.utcnow", lambda: later)
    assert await code_of(client, JOIN, {"code": code}, bob) == "NOT_FOUND"


@pytest.mark.parametrize(
    "options",
    [{"maxUses": 0}, {"maxUses": 10_001}, {"expires": 59}, {"expires": 31 * 24 * 3600}],
)
async def test_invite_limits_are_validated(client: GraphQLClient, options: dict) -> None:
    alice = await client.register("alice")
    space_id = await create_space(client, alice)
    assert await code_of(client, INVITE, {"id": space_id, **options}, alice) == "BAD_USER_INPUT"


async def test_banned_user_cannot_join_by_any_route(client: GraphQLClient, app: Starlette) -> None:
    alice, mallory = await client.register("alice"), await client.register("mallory")
    space_id = await create_space(client, alice, public=True)
    code = await invite(client, alice, space_id)
    async with app.state.services.sessionmaker() as session:
        session.add(
            Ban(
                space_id=parse_global_id(space_id)[1],  # type: ignore[index]
                user_id=parse_global_id(mallory.id)[1],  # type: ignore[index]
                banned_by_id=parse_global_id(alice.id)[1],  # type: ignore[index]
            )
        )
        await session.commit()
    assert await code_of(client, JOIN, {"spaceId": space_id}, mallory) == "FORBIDDEN"
    assert await code_of(client, JOIN, {"code": code}, mallory) == "FORBIDDEN"
    space = (await client.data(SPACE, {"id": space_id}, token=alice.access_token))["space"]
    assert space["memberCount"] == 1


async def test_expired_ban_stops_applying(client: GraphQLClient, app: Starlette) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice, public=True)
    async with app.state.services.sessionmaker() as session:
        session.add(
            Ban(
                space_id=parse_global_id(space_id)[1],  # type: ignore[index]
                user_id=parse_global_id(bob.id)[1],  # type: ignore[index]
                banned_by_id=parse_global_id(alice.id)[1],  # type: ignore[index]
                expires_at=utcnow() - timedelta(seconds=1),
            )
        )
        await session.commit()
    await client.data(JOIN, {"spaceId": space_id}, token=bob.access_token)


async def test_member_leaves_but_owner_must_hand_over_first(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice, public=True)
    await client.data(JOIN, {"spaceId": space_id}, token=bob.access_token)
    assert await code_of(client, LEAVE, {"id": space_id}, alice) == "FORBIDDEN"
    transfer = """mutation($space: ID!, $user: ID!) {
        transferSpaceOwnership(spaceId: $space, userId: $user) { owner { tag } }
    }"""
    handover = {"space": space_id, "user": alice.id}
    assert await code_of(client, transfer, handover, bob) == "FORBIDDEN"
    moved = await client.data(
        transfer, {"space": space_id, "user": bob.id}, token=alice.access_token
    )
    assert moved["transferSpaceOwnership"]["owner"] == {"tag": "bob"}
    assert (await client.data(LEAVE, {"id": space_id}, token=alice.access_token))["leaveSpace"]
    assert (await client.data("{ mySpaces { id } }", token=alice.access_token))["mySpaces"] == []
    assert await code_of(client, LEAVE, {"id": space_id}, alice) == "FORBIDDEN"


async def test_ownership_goes_only_to_a_member(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space_id = await create_space(client, alice)
    transfer = """mutation($space: ID!, $user: ID!) {
        transferSpaceOwnership(spaceId: $space, userId: $user) { id }
    }"""
    assert await code_of(client, transfer, {"space": space_id, "user": bob.id}, alice) == (
        "NOT_FOUND"
    )


async def test_public_spaces_walks_every_public_space_once(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    names = ["beta", "Alpha", "gamma", "alpha two", "delta"]
    for name in names:
        await create_space(client, alice, name, public=True)
    await create_space(client, alice, "alpha secret")
    query = """query($after: String) {
        publicSpaces(first: 2, after: $after) {
            edges { cursor node { name } } pageInfo { hasNextPage endCursor }
        }
    }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await client.data(query, {"after": after}, token=alice.access_token))[
            "publicSpaces"
        ]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Alpha", "alpha two", "beta", "delta", "gamma"]


async def test_public_spaces_filters_by_name_prefix(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    for name in ("Alpha", "alpine", "Beta", "ALP%"):
        await create_space(client, alice, name, public=True)
    query = "query($q: String) { publicSpaces(query: $q) { edges { node { name } } } }"
    found = await client.data(query, {"q": "alp"}, token=alice.access_token)
    assert [e["node"]["name"] for e in found["publicSpaces"]["edges"]] == [
        "ALP%",
        "Alpha",
        "alpine",
    ]
    found = await client.data(query, {"q": "alp%"}, token=alice.access_token)
    assert [e["node"]["name"] for e in found["publicSpaces"]["edges"]] == ["ALP%"]


@pytest.mark.parametrize(("first", "after"), [(0, None), (101, None), (2, "garbage!")])
async def test_public_spaces_refuses_bad_paging(
    client: GraphQLClient, first: int, after: str | None
) -> None:
    alice = await client.register("alice")
    query = """query($first: Int, $after: String) {
        publicSpaces(first: $first, after: $after) { edges { cursor } }
    }"""
    variables = {"first": first, "after": after}
    assert await code_of(client, query, variables, alice) == "BAD_USER_INPUT"


async def test_my_spaces_costs_the_same_statements_for_2_and_12_spaces(
    client: GraphQLClient, sql_statements: StatementCounter
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    query = "{ mySpaces { name owner { tag } memberCount myPermissions } }"

    async def cost() -> int:
        sql_statements.count, sql_statements.counting = 0, True
        spaces = (await client.data(query, token=bob.access_token))["mySpaces"]
        sql_statements.counting = False
        assert all(space["memberCount"] == 2 for space in spaces)
        return sql_statements.count

    for count in (2, 12):
        while len((await client.data(query, token=bob.access_token))["mySpaces"]) < count:
            space = await create_space(client, alice, public=True)
            await client.data(JOIN, {"spaceId": space}, token=bob.access_token)
        if count == 2:
            small = await cost()
    assert await cost() == small <= 6
