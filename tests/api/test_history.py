"""Message history pages (first/after forward, last/before backward), lastMessage,
unreadCount and markChatRead."""

from dataclasses import dataclass
from typing import Any

import pytest

from graphql_schema.ids import to_global_id
from resolvers.pagination import encode_cursor
from tests.graphql_client import Account, GraphQLClient

PAGE = """query($chat: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    messages(chatId: $chat, first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id content } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"""
CHAT_PAGE = """query($chat: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    chat(id: $chat) {
        messages(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id content } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
    }
}"""
SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
OPEN_DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
STATUS = """query($chat: ID!) { chat(id: $chat) {
    unreadCount lastMessage { id content deletedAt author { tag } } } }"""
MARK = """mutation($chat: ID!, $message: ID) {
    markChatRead(chatId: $chat, messageId: $message) { id unreadCount } }"""


@dataclass
class Dm:
    """A direct chat between alice and bob; mallory takes no part."""

    chat: str
    alice: Account
    bob: Account
    mallory: Account


@pytest.fixture
async def dm(client: GraphQLClient) -> Dm:
    alice, bob, mallory = [await client.register(t) for t in ("alice", "bob", "mallory")]
    data = await client.data(OPEN_DIRECT, {"user": bob.id}, token=alice.access_token)
    return Dm(data["openDirectChat"]["id"], alice, bob, mallory)


async def send(client: GraphQLClient, who: Account, chat: str, content: str) -> str:
    variables = {"input": {"chatId": chat, "content": content}}
    message_id: str = (await client.data(SEND, variables, token=who.access_token))["sendMessage"][
        "id"
    ]
    return message_id


async def send_many(client: GraphQLClient, who: Account, chat: str, count: int) -> list[str]:
    return [await send(client, who, chat, f"m{n}") for n in range(count)]


async def page(client: GraphQLClient, who: Account, chat: str, **args: Any) -> dict[str, Any]:
    data = await client.data(PAGE, {"chat": chat, **args}, token=who.access_token)
    connection: dict[str, Any] = data["messages"]
    return connection


async def page_error(client: GraphQLClient, who: Account, chat: str, **args: Any) -> dict[str, Any]:
    error = await client.error(PAGE, {"chat": chat, **args}, token=who.access_token)
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def flags(connection: dict[str, Any]) -> tuple[bool, bool]:
    """(hasPreviousPage, hasNextPage)"""
    info = connection["pageInfo"]
    return info["hasPreviousPage"], info["hasNextPage"]


async def status(client: GraphQLClient, who: Account, chat: str) -> dict[str, Any]:
    found: dict[str, Any] = (await client.data(STATUS, {"chat": chat}, token=who.access_token))[
        "chat"
    ]
    return found


async def mark(client: GraphQLClient, who: Account, chat: str, message: str | None = None) -> int:
    data = await client.data(MARK, {"chat": chat, "message": message}, token=who.access_token)
    assert data["markChatRead"]["id"] == chat
    unread: int = data["markChatRead"]["unreadCount"]
    return unread


async def mark_refusal(
    client: GraphQLClient, who: Account, chat: str, message: str | None
) -> dict[str, Any]:
    variables = {"chat": chat, "message": message}
    extensions: dict[str, Any] = (await client.error(MARK, variables, token=who.access_token))[
        "extensions"
    ]
    return extensions


# --- page shape and validation ----------------------------------------------------------


async def test_without_arguments_the_newest_50_come_oldest_first(
    client: GraphQLClient, dm: Dm
) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 53)
    newest = await page(client, dm.bob, dm.chat)
    assert ids(newest) == sent[3:]
    assert flags(newest) == (True, False)
    info = newest["pageInfo"]
    edges = newest["edges"]
    assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
    assert ids(await page(client, dm.bob, dm.chat, first=100)) == sent


async def test_first_and_last_default_to_50_and_give_at_most_100(
    client: GraphQLClient, dm: Dm
) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 102)
    oldest = await page(client, dm.bob, dm.chat, first=1)
    newest = await page(client, dm.bob, dm.chat, last=1)
    assert (ids(oldest), ids(newest)) == (sent[:1], sent[-1:])
    forward = await page(client, dm.bob, dm.chat, after=oldest["pageInfo"]["endCursor"])
    assert ids(forward) == sent[1:51]
    backward = await page(client, dm.bob, dm.chat, before=newest["pageInfo"]["startCursor"])
    assert ids(backward) == sent[51:101]
    assert ids(await page(client, dm.bob, dm.chat, first=100)) == sent[:100]
    assert ids(await page(client, dm.bob, dm.chat, last=100)) == sent[2:]


async def test_a_page_larger_than_the_chat_gives_all_of_it(client: GraphQLClient, dm: Dm) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 7)
    assert ids(whole := await page(client, dm.bob, dm.chat, last=10)) == sent
    assert flags(whole) == (False, False)
    assert ids(await page(client, dm.bob, dm.chat, first=10)) == sent


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"first": 101}, "first"),
        ({"first": 0}, "first"),
        ({"first": -1}, "first"),
        ({"last": 0}, "last"),
        ({"last": 101}, "last"),
    ],
)
async def test_page_sizes_outside_1_to_100_are_refused(
    client: GraphQLClient, dm: Dm, args: dict[str, int], field: str
) -> None:
    await send(client, dm.alice, dm.chat, "x")
    refused = await page_error(client, dm.bob, dm.chat, **args)
    assert (refused["code"], refused.get("field")) == ("BAD_USER_INPUT", field)


@pytest.mark.parametrize(
    "args",
    [{"first": 1, "before": "CURSOR"}, {"last": 1, "after": "CURSOR"}, {"first": 1, "last": 1}],
)
async def test_paging_forward_and_backward_at_once_is_refused(
    client: GraphQLClient, dm: Dm, args: dict[str, Any]
) -> None:
    await send_many(client, dm.alice, dm.chat, 3)
    cursor = (await page(client, dm.bob, dm.chat))["edges"][1]["cursor"]
    mixed = {key: cursor if value == "CURSOR" else value for key, value in args.items()}
    assert (await page_error(client, dm.bob, dm.chat, **mixed))["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "cursor", ["garbage", "!!!", encode_cursor("x"), encode_cursor(), encode_cursor(1.5), "e30"]
)
@pytest.mark.parametrize("direction", ["after", "before"])
async def test_a_garbage_cursor_is_bad_input(
    client: GraphQLClient, dm: Dm, cursor: str, direction: str
) -> None:
    await send(client, dm.alice, dm.chat, "x")
    refused = await page_error(client, dm.bob, dm.chat, **{direction: cursor})
    assert (refused["code"], refused.get("field")) == ("BAD_USER_INPUT", direction)


@pytest.mark.parametrize("direction", ["after", "before"])
async def test_an_out_of_range_cursor_is_bad_input_not_a_server_error(
    client: GraphQLClient, dm: Dm, direction: str
) -> None:
    await send(client, dm.alice, dm.chat, "x")
    refused = await page_error(client, dm.bob, dm.chat, **{direction: encode_cursor(2**63)})
    assert (refused["code"], refused.get("field")) == ("BAD_USER_INPUT", direction)


# --- walking ----------------------------------------------------------------------------


async def test_walking_forward_yields_every_message_once_in_order(
    client: GraphQLClient, dm: Dm
) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 10)
    seen: list[str] = []
    seen_flags: list[tuple[bool, bool]] = []
    after = None
    while True:
        current = await page(client, dm.bob, dm.chat, first=3, after=after)
        seen += ids(current)
        seen_flags.append(flags(current))
        if not current["pageInfo"]["hasNextPage"]:
            break
        after = current["pageInfo"]["endCursor"]
    assert seen == sent
    assert seen_flags == [(False, True), (True, True), (True, True), (True, False)]


async def test_walking_backward_yields_every_message_once(client: GraphQLClient, dm: Dm) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 10)
    pages: list[list[str]] = []
    seen_flags: list[tuple[bool, bool]] = []
    before = None
    while True:
        current = await page(client, dm.bob, dm.chat, last=3, before=before)
        pages.append(ids(current))
        seen_flags.append(flags(current))
        if not current["pageInfo"]["hasPreviousPage"]:
            break
        before = current["pageInfo"]["startCursor"]
    assert pages == [sent[7:], sent[4:7], sent[1:4], sent[:1]]
    assert seen_flags == [(True, False), (True, True), (True, True), (False, True)]


async def test_pages_ending_exactly_at_either_end_say_there_is_no_more(
    client: GraphQLClient, dm: Dm
) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 6)
    head = await page(client, dm.bob, dm.chat, first=3)
    tail = await page(client, dm.bob, dm.chat, first=3, after=head["pageInfo"]["endCursor"])
    assert (ids(tail), flags(tail)) == (sent[3:], (True, False))
    beyond = await page(client, dm.bob, dm.chat, first=3, after=tail["pageInfo"]["endCursor"])
    assert (ids(beyond), flags(beyond)) == ([], (True, False))
    assert beyond["pageInfo"]["startCursor"] is None and beyond["pageInfo"]["endCursor"] is None
    newest = await page(client, dm.bob, dm.chat, last=3)
    start = newest["pageInfo"]["startCursor"]
    oldest = await page(client, dm.bob, dm.chat, last=3, before=start)
    assert (ids(oldest), flags(oldest)) == (sent[:3], (False, True))
    everything = await page(client, dm.bob, dm.chat, first=6)
    assert (ids(everything), flags(everything)) == (sent, (False, False))


async def test_an_empty_chat_has_no_edges_and_no_more_pages(client: GraphQLClient, dm: Dm) -> None:
    for args in ({}, {"first": 5}, {"last": 5}):
        empty = await page(client, dm.alice, dm.chat, **args)
        assert (empty["edges"], flags(empty)) == ([], (False, False))
        assert empty["pageInfo"]["startCursor"] is None and empty["pageInfo"]["endCursor"] is None


async def test_messages_sent_while_walking_forward_show_up_later(
    client: GraphQLClient, dm: Dm
) -> None:
    sent = await send_many(client, dm.alice, dm.chat, 5)
    first = await page(client, dm.bob, dm.chat, first=3)
    sent += [
        await send(client, dm.bob, dm.chat, "late 1"),
        await send(client, dm.alice, dm.chat, "late 2"),
    ]
    second = await page(client, dm.bob, dm.chat, first=3, after=first["pageInfo"]["endCursor"])
    sent.append(await send(client, dm.bob, dm.chat, "later still"))
    third = await page(client, dm.bob, dm.chat, first=3, after=second["pageInfo"]["endCursor"])
    assert ids(first) + ids(second) + ids(third) == sent
    assert third["pageInfo"]["hasNextPage"] is False


async def test_chat_messages_matches_query_messages(client: GraphQLClient, dm: Dm) -> None:
    await send_many(client, dm.alice, dm.chat, 7)
    cursor = (await page(client, dm.bob, dm.chat, first=2))["pageInfo"]["endCursor"]
    for args in ({}, {"first": 3}, {"first": 2, "after": cursor}, {"last": 2, "before": cursor}):
        variables = {"chat": dm.chat, **args}
        nested = await client.data(CHAT_PAGE, variables, token=dm.bob.access_token)
        assert nested["chat"]["messages"] == await page(client, dm.bob, dm.chat, **args), args


async def test_non_participants_cannot_read_the_history(client: GraphQLClient, dm: Dm) -> None:
    await send(client, dm.alice, dm.chat, "private")
    assert (await page_error(client, dm.mallory, dm.chat))["code"] == "NOT_FOUND"
    assert (await page_error(client, dm.mallory, dm.chat, first=1))["code"] == "NOT_FOUND"
    nested = await client.data(CHAT_PAGE, {"chat": dm.chat}, token=dm.mallory.access_token)
    assert nested["chat"] is None
    unknown = to_global_id("Chat", 999_999)
    assert (await page_error(client, dm.alice, unknown))["code"] == "NOT_FOUND"
    anonymous = await client.error(PAGE, {"chat": dm.chat})
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"


# --- lastMessage, unreadCount, markChatRead ---------------------------------------------


async def test_last_message_is_the_newest_even_once_deleted(client: GraphQLClient, dm: Dm) -> None:
    assert (await status(client, dm.alice, dm.chat))["lastMessage"] is None
    await send(client, dm.alice, dm.chat, "older")
    newest = await send(client, dm.bob, dm.chat, "newest")
    last = (await status(client, dm.alice, dm.chat))["lastMessage"]
    assert (last["id"], last["content"], last["author"]) == (newest, "newest", {"tag": "bob"})
    await client.data(DELETE, {"id": newest}, token=dm.bob.access_token)
    tombstone = (await status(client, dm.alice, dm.chat))["lastMessage"]
    assert (tombstone["id"], tombstone["content"]) == (newest, None)
    assert tombstone["deletedAt"] is not None


async def test_unread_counts_others_live_messages_after_my_marker(
    client: GraphQLClient, dm: Dm
) -> None:
    await send_many(client, dm.alice, dm.chat, 2)
    bobs = await send_many(client, dm.bob, dm.chat, 3)
    assert (await status(client, dm.alice, dm.chat))["unreadCount"] == 3
    assert (await status(client, dm.bob, dm.chat))["unreadCount"] == 2
    await client.data(DELETE, {"id": bobs[0]}, token=dm.bob.access_token)
    assert (await status(client, dm.alice, dm.chat))["unreadCount"] == 2


async def test_mark_read_without_a_message_reads_up_to_the_latest(
    client: GraphQLClient, dm: Dm
) -> None:
    assert await mark(client, dm.alice, dm.chat) == 0  # nothing to read yet
    await send_many(client, dm.bob, dm.chat, 4)
    assert await mark(client, dm.alice, dm.chat) == 0
    assert (await status(client, dm.alice, dm.chat))["unreadCount"] == 0
    await send(client, dm.bob, dm.chat, "one more")
    assert (await status(client, dm.alice, dm.chat))["unreadCount"] == 1
    assert (await status(client, dm.bob, dm.chat))["unreadCount"] == 0  # bob's own


async def test_mark_read_moves_to_a_message_but_never_backwards(
    client: GraphQLClient, dm: Dm
) -> None:
    bobs = await send_many(client, dm.bob, dm.chat, 5)
    assert await mark(client, dm.alice, dm.chat, bobs[2]) == 2
    assert await mark(client, dm.alice, dm.chat, bobs[0]) == 2
    assert (await status(client, dm.alice, dm.chat))["unreadCount"] == 2
    assert await mark(client, dm.alice, dm.chat, bobs[3]) == 1
    assert await mark(client, dm.alice, dm.chat) == 0
    assert await mark(client, dm.alice, dm.chat, bobs[1]) == 0


async def test_mark_read_refuses_foreign_messages_and_invisible_chats(
    client: GraphQLClient, dm: Dm
) -> None:
    bobs = await send_many(client, dm.bob, dm.chat, 2)
    other = (await client.data(OPEN_DIRECT, {"user": dm.mallory.id}, token=dm.alice.access_token))[
        "openDirectChat"
    ]["id"]
    foreign = await send(client, dm.mallory, other, "elsewhere")
    for message in (foreign, to_global_id("Message", 999_999)):
        refused = await mark_refusal(client, dm.alice, dm.chat, message)
        assert (refused["code"], refused.get("field")) == ("BAD_USER_INPUT", "messageId")
    for maybe in (None, bobs[1]):
        assert (await mark_refusal(client, dm.mallory, dm.chat, maybe))["code"] == "NOT_FOUND"
    assert (await status(client, dm.alice, dm.chat))["unreadCount"] == 2
    assert (await status(client, dm.alice, other))["unreadCount"] == 1
