"""Direct and group chats: who takes part, who sees them, and how myChats pages them."""

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette

from graphql_schema.ids import to_global_id
from resolvers.pagination import encode_cursor
from tests.factories import create_space, register_directly
from tests.graphql_client import Account, GraphQLClient

CHAT_FIELDS = "id kind title space { id } participants { id }"
OPEN_DIRECT = f"mutation($user: ID!) {{ openDirectChat(userId: $user) {{ {CHAT_FIELDS} }} }}"
CREATE_GROUP = f"""mutation($input: CreateGroupChatInput!) {{
    createGroupChat(input: $input) {{ {CHAT_FIELDS} }}
}}"""
ADD = """mutation($chat: ID!, $user: ID!) {
    addChatParticipant(chatId: $chat, userId: $user) { id participants { id } }
}"""
LEAVE = "mutation($chat: ID!) { leaveChat(chatId: $chat) }"
CHAT = f"query($id: ID!) {{ chat(id: $id) {{ {CHAT_FIELDS} }} }}"
MY_CHATS = """query($first: Int, $after: String) {
    myChats(first: $first, after: $after) {
        edges { cursor node { id kind } } pageInfo { hasNextPage endCursor }
    }
}"""
UNKNOWN_USER = to_global_id("User", 999_999)


async def code_of(
    client: GraphQLClient, query: str, variables: dict[str, Any], who: Account | None
) -> str:
    token = who.access_token if who else None
    code: str = (await client.error(query, variables, token=token))["extensions"]["code"]
    return code


async def open_direct(client: GraphQLClient, who: Account, other: Account) -> dict[str, Any]:
    data = await client.data(OPEN_DIRECT, {"user": other.id}, token=who.access_token)
    chat: dict[str, Any] = data["openDirectChat"]
    return chat


async def create_group(
    client: GraphQLClient, creator: Account, user_ids: list[str], title: str | None = None
) -> dict[str, Any]:
    variables = {"input": {"title": title, "userIds": user_ids}}
    data = await client.data(CREATE_GROUP, variables, token=creator.access_token)
    chat: dict[str, Any] = data["createGroupChat"]
    return chat


async def seen_by(client: GraphQLClient, who: Account, chat_id: str) -> dict[str, Any] | None:
    chat: dict[str, Any] | None = (
        await client.data(CHAT, {"id": chat_id}, token=who.access_token)
    )["chat"]
    return chat


async def my_chat_ids(client: GraphQLClient, who: Account) -> list[str]:
    data = await client.data(MY_CHATS, {"first": 100}, token=who.access_token)
    return [edge["node"]["id"] for edge in data["myChats"]["edges"]]


def participant_ids(chat: dict[str, Any]) -> list[str]:
    return sorted(user["id"] for user in chat["participants"])


async def many_users(app: Starlette, count: int) -> list[Account]:
    return [await register_directly(app, f"crowd{n}") for n in range(count)]


async def test_direct_chat_is_one_chat_for_the_pair_from_either_side(
    client: GraphQLClient,
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    first = await open_direct(client, alice, bob)
    assert first["kind"] == "DIRECT" and first["title"] is None and first["space"] is None
    assert participant_ids(first) == sorted([alice.id, bob.id])
    assert (await open_direct(client, alice, bob))["id"] == first["id"]
    assert (await open_direct(client, bob, alice))["id"] == first["id"]
    assert await my_chat_ids(client, alice) == [first["id"]]
    assert await seen_by(client, bob, first["id"]) == first


async def test_direct_chat_with_yourself_is_refused(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    error = await client.error(OPEN_DIRECT, {"user": alice.id}, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "userId"}
    assert await my_chat_ids(client, alice) == []


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        (UNKNOWN_USER, "NOT_FOUND"),
        ("not-an-id", "BAD_USER_INPUT"),
        (to_global_id("Space", 1), "BAD_USER_INPUT"),
    ],
)
async def test_direct_chat_needs_an_existing_user(
    client: GraphQLClient, user_id: str, code: str
) -> None:
    alice = await client.register("alice")
    assert await code_of(client, OPEN_DIRECT, {"user": user_id}, alice) == code
    assert await my_chat_ids(client, alice) == []


async def test_concurrent_opens_from_both_sides_share_one_chat(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    one, other = await asyncio.gather(
        open_direct(client, alice, bob), open_direct(client, bob, alice)
    )
    assert one["id"] == other["id"]
    assert await my_chat_ids(client, alice) == [one["id"]]
    assert await my_chat_ids(client, bob) == [one["id"]]


async def test_outsider_can_neither_see_nor_touch_other_people_s_chats(
    client: GraphQLClient,
) -> None:
    alice, bob, mallory = [await client.register(tag) for tag in ("alice", "bob", "mallory")]
    direct = await open_direct(client, alice, bob)
    group = await create_group(client, alice, [bob.id], "Plans")
    for chat in (direct, group):
        assert await seen_by(client, mallory, chat["id"]) is None
        joining = {"chat": chat["id"], "user": mallory.id}
        assert await code_of(client, ADD, joining, mallory) == "NOT_FOUND"
        assert await code_of(client, LEAVE, {"chat": chat["id"]}, mallory) == "NOT_FOUND"
        assert await seen_by(client, alice, chat["id"]) == chat
    assert await my_chat_ids(client, mallory) == []


async def test_group_chat_includes_its_creator_once_with_a_trimmed_title(
    client: GraphQLClient,
) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    group = await create_group(client, alice, [bob.id, carol.id, bob.id, alice.id], "  Plans  ")
    assert group["kind"] == "GROUP" and group["title"] == "Plans" and group["space"] is None
    assert participant_ids(group) == sorted([alice.id, bob.id, carol.id])
    for who in (bob, carol):
        assert await seen_by(client, who, group["id"]) == group


@pytest.mark.parametrize("title", [None, "   "])
async def test_group_chat_title_is_optional(client: GraphQLClient, title: str | None) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    assert (await create_group(client, alice, [bob.id], title))["title"] is None


@pytest.mark.parametrize("copies_of_self", [0, 1, 2])
async def test_group_chat_with_only_yourself_is_refused(
    client: GraphQLClient, copies_of_self: int
) -> None:
    alice = await client.register("alice")
    variables = {"input": {"userIds": [alice.id] * copies_of_self}}
    error = await client.error(CREATE_GROUP, variables, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "userIds"}
    assert await my_chat_ids(client, alice) == []


async def test_group_chat_title_over_100_characters_is_refused(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    variables = {"input": {"title": "x" * 101, "userIds": [bob.id]}}
    error = await client.error(CREATE_GROUP, variables, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "title"}
    assert await my_chat_ids(client, bob) == []


async def test_group_chat_holds_at_most_25_participants(
    client: GraphQLClient, app: Starlette
) -> None:
    alice = await client.register("alice")
    crowd = await many_users(app, 25)
    too_many = {"input": {"userIds": [user.id for user in crowd]}}
    error = await client.error(CREATE_GROUP, too_many, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "userIds"}
    assert await my_chat_ids(client, alice) == []
    assert await my_chat_ids(client, crowd[0]) == []
    full = await create_group(client, alice, [user.id for user in crowd[:24]])
    assert len(full["participants"]) == 25


async def test_group_chat_with_an_unknown_user_is_not_found(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    variables = {"input": {"userIds": [bob.id, UNKNOWN_USER]}}
    assert await code_of(client, CREATE_GROUP, variables, alice) == "NOT_FOUND"
    assert await my_chat_ids(client, alice) == []
    assert await my_chat_ids(client, bob) == []


async def test_participant_adds_someone_who_then_sees_the_chat(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    group = await create_group(client, alice, [bob.id])
    assert await seen_by(client, carol, group["id"]) is None
    adding = {"chat": group["id"], "user": carol.id}
    for _ in range(2):  # adding twice is harmless
        added = (await client.data(ADD, adding, token=bob.access_token))["addChatParticipant"]
        assert participant_ids(added) == sorted([alice.id, bob.id, carol.id])
    seen = await seen_by(client, carol, group["id"])
    assert seen is not None and participant_ids(seen) == sorted([alice.id, bob.id, carol.id])
    assert await my_chat_ids(client, carol) == [group["id"]]
    unknown = {"chat": group["id"], "user": UNKNOWN_USER}
    assert await code_of(client, ADD, unknown, bob) == "NOT_FOUND"


async def test_nobody_is_added_to_a_direct_chat(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    direct = await open_direct(client, alice, bob)
    variables = {"chat": direct["id"], "user": carol.id}
    error = await client.error(ADD, variables, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "chatId"}
    assert await seen_by(client, carol, direct["id"]) is None
    assert await seen_by(client, alice, direct["id"]) == direct


async def test_a_full_group_takes_no_more_participants(
    client: GraphQLClient, app: Starlette
) -> None:
    alice = await client.register("alice")
    crowd = await many_users(app, 25)
    group = await create_group(client, alice, [user.id for user in crowd[:24]])
    variables = {"chat": group["id"], "user": crowd[24].id}
    error = await client.error(ADD, variables, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "userId"}
    assert await seen_by(client, crowd[24], group["id"]) is None
    assert len((await seen_by(client, alice, group["id"]) or {})["participants"]) == 25


async def test_leaving_a_group_hides_it_from_the_leaver_only(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    group = await create_group(client, alice, [bob.id, carol.id])
    assert (await client.data(LEAVE, {"chat": group["id"]}, token=bob.access_token))["leaveChat"]
    assert await seen_by(client, bob, group["id"]) is None
    assert await my_chat_ids(client, bob) == []
    assert await code_of(client, LEAVE, {"chat": group["id"]}, bob) == "NOT_FOUND"
    for who in (alice, carol):
        seen = await seen_by(client, who, group["id"])
        assert seen is not None and participant_ids(seen) == sorted([alice.id, carol.id])
        assert await my_chat_ids(client, who) == [group["id"]]


async def test_a_direct_chat_cannot_be_left(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    direct = await open_direct(client, alice, bob)
    error = await client.error(LEAVE, {"chat": direct["id"]}, token=alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "chatId"}
    assert await seen_by(client, alice, direct["id"]) == direct


async def test_my_chats_lists_only_the_caller_s_chats_newest_first(client: GraphQLClient) -> None:
    alice, bob, carol = [await client.register(tag) for tag in ("alice", "bob", "carol")]
    await create_space(client, alice)  # its #general channel is no chat of hers
    direct = await open_direct(client, alice, bob)
    theirs = await open_direct(client, bob, carol)
    group = await create_group(client, carol, [alice.id, bob.id])
    data = await client.data(MY_CHATS, {}, token=alice.access_token)
    nodes = [edge["node"] for edge in data["myChats"]["edges"]]
    assert nodes == [{"id": group["id"], "kind": "GROUP"}, {"id": direct["id"], "kind": "DIRECT"}]
    assert data["myChats"]["pageInfo"]["hasNextPage"] is False
    assert await my_chat_ids(client, carol) == [group["id"], theirs["id"]]


async def test_my_chats_pages_walk_every_chat_exactly_once(client: GraphQLClient) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    created = [(await create_group(client, alice, [bob.id], f"g{n}"))["id"] for n in range(5)]
    seen: list[str] = []
    more: list[bool] = []
    after = None
    while True:
        variables = {"first": 2, "after": after}
        page = (await client.data(MY_CHATS, variables, token=bob.access_token))["myChats"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        more.append(page["pageInfo"]["hasNextPage"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == created[::-1]
    assert more == [True, True, False]


@pytest.mark.parametrize(
    ("first", "after"),
    [
        (0, None),
        (101, None),
        (2, "garbage!"),
        (2, encode_cursor("not a date", 1)),
        (2, encode_cursor("2024-01-01T00:00:00+00:00")),
    ],
)
async def test_my_chats_refuses_bad_paging(
    client: GraphQLClient, first: int, after: str | None
) -> None:
    alice = await client.register("alice")
    variables = {"first": first, "after": after}
    assert await code_of(client, MY_CHATS, variables, alice) == "BAD_USER_INPUT"


CHAT_ID, USER_ID = to_global_id("Chat", 1), to_global_id("User", 1)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CHAT, {"id": CHAT_ID}),
        (MY_CHATS, {}),
        (OPEN_DIRECT, {"user": USER_ID}),
        (CREATE_GROUP, {"input": {"userIds": [USER_ID]}}),
        (ADD, {"chat": CHAT_ID, "user": USER_ID}),
        (LEAVE, {"chat": CHAT_ID}),
    ],
)
async def test_chat_operations_require_sign_in(
    client: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    assert await code_of(client, query, variables, None) == "UNAUTHENTICATED"
