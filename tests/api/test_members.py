"""Space.members: members only, keyset pages, a prefix filter and a constant statement count."""

import itertools
from typing import Any

from starlette.applications import Starlette

from tests.conftest import StatementCounter
from tests.factories import assign_role, create_role, create_space, join, register_directly
from tests.graphql_client import Account, GraphQLClient

MEMBERS = """query($id: ID!, $first: Int, $after: String, $query: String) {
    space(id: $id) {
        members(first: $first, after: $after, query: $query) {
            edges { cursor node { joinedAt user { tag } roles { name } } }
            pageInfo { hasNextPage hasPreviousPage endCursor }
        }
    }
}"""
# With what the caller may do to each member: the caller's standing, which the list
# itself needed, and the roles the page shows answer them.
CAPABLE_MEMBERS = MEMBERS.replace(
    "roles { name }", "roles { name } viewerCanKick viewerCanBan viewerCanManageRoles"
)


async def members(
    client: GraphQLClient, who: Account, space: str, document: str = MEMBERS, **variables: Any
) -> dict[str, Any]:
    data = await client.data(document, {"id": space, **variables}, token=who.access_token)
    result: dict[str, Any] = data["space"]["members"]
    return result


def tags(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["user"]["tag"] for edge in page["edges"]]


async def test_members_come_with_their_roles(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    mod = await create_role(client, alice, space, name="mod", position=3)
    await assign_role(client, alice, space, bob, mod["id"])
    page = await members(client, bob, space)
    assert [
        (e["node"]["user"]["tag"], [r["name"] for r in e["node"]["roles"]]) for e in page["edges"]
    ] == [
        ("alice", ["everyone"]),
        ("bob", ["mod", "everyone"]),
    ]


async def test_non_members_see_no_members(client: GraphQLClient) -> None:
    alice, outsider = await client.register("alice"), await client.register("outsider")
    space = await create_space(client, alice, public=True)
    assert (await members(client, outsider, space))["edges"] == []


async def test_members_page_walks_everyone_once_in_joining_order(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    names = [f"member{i}" for i in range(5)]
    for name in names:
        await join(client, await client.register(name), space)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await members(client, alice, space, first=2, after=after)
        pages += 1
        seen += tags(page)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["alice", *names]
    assert pages == 3


async def test_members_filter_by_tag_or_name_prefix(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    for name in ("albert", "bob", "alfred"):
        await join(client, await client.register(name), space)
    assert tags(await members(client, alice, space, query="AL")) == ["alice", "albert", "alfred"]
    assert tags(await members(client, alice, space, query="@bo")) == ["bob"]
    assert tags(await members(client, alice, space, query="lb")) == []


async def test_bad_member_paging_is_refused(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    for variables in ({"first": 0}, {"first": 101}, {"after": "!!"}):
        error = await client.error(MEMBERS, {"id": space, **variables}, token=alice.access_token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_member_list_costs_the_same_statements_for_5_and_50_members(
    client: GraphQLClient, app: Starlette, sql_statements: StatementCounter
) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    role = await create_role(client, alice, space, name="regular", position=2)
    numbers = itertools.count()

    async def grow_to(size: int) -> None:
        while len(tags(await members(client, alice, space, first=100))) < size:
            newcomer = await register_directly(app, f"user{next(numbers)}")
            await join(client, newcomer, space)
            await assign_role(client, alice, space, newcomer, role["id"])

    async def cost(document: str = MEMBERS) -> int:
        sql_statements.count, sql_statements.counting = 0, True
        page = await members(client, alice, space, document, first=50)
        sql_statements.counting = False
        assert all(edge["node"]["roles"] for edge in page["edges"])
        if document == CAPABLE_MEMBERS:  # the owner may act on everyone but herself
            kickable = [edge["node"]["viewerCanKick"] for edge in page["edges"]]
            assert kickable.count(False) == 1 and len(kickable) > 1
        return sql_statements.count

    await grow_to(5)
    small = await cost()
    assert await cost(CAPABLE_MEMBERS) == small
    await grow_to(50)
    assert await cost() == small
    assert await cost(CAPABLE_MEMBERS) == small
    assert small <= 7
