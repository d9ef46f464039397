"""searchMessages: what matches, who finds what, filters and pages, on both backends."""

from dataclasses import dataclass
from typing import Any

import pytest

from graphql_schema.ids import to_global_id
from tests.backends import Backend
from tests.conftest import StatementCounter
from tests.factories import assign_role, create_role, create_space, join, join_by_invite
from tests.graphql_client import Account, GraphQLClient

SEARCH = """query($q: String!, $space: ID, $chat: ID, $author: ID, $first: Int, $after: String) {
    searchMessages(query: $q, spaceId: $space, chatId: $chat, authorId: $author,
                   first: $first, after: $after) {
        edges { cursor node { id content chat { id } author { tag } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"""
SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
EDIT = "mutation($id: ID!, $c: String!) { editMessage(id: $id, content: $c) { id } }"
DELETE = "mutation($id: ID!) { deleteMessage(id: $id) { id } }"
OPEN_DIRECT = "mutation($user: ID!) { openDirectChat(userId: $user) { id } }"
CREATE_GROUP = "mutation($input: CreateGroupChatInput!) { createGroupChat(input: $input) { id } }"
LEAVE_CHAT = "mutation($chat: ID!) { leaveChat(chatId: $chat) }"
LEAVE_SPACE = "mutation($space: ID!) { leaveSpace(spaceId: $space) }"
CHANNELS = "query($id: ID!) { space(id: $id) { channels { id } } }"


@dataclass
class World:
    """alice owns a private space with bob in it (its channel is `channel`); alice and bob
    have a direct chat, and a group with carol. mallory is in none of them and has a direct
    chat with carol of her own."""

    alice: Account
    bob: Account
    carol: Account
    mallory: Account
    space: str
    channel: str
    direct: str
    group: str
    mallory_direct: str


@pytest.fixture
async def world(client: GraphQLClient) -> World:
    alice, bob, carol, mallory = [
        await client.register(tag) for tag in ("alice", "bob", "carol", "mallory")
    ]
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    await client.data(
        "mutation($id: ID!, $input: UpdateSpaceInput!) { updateSpace(id: $id, input: $input) "
        "{ id } }",
        {"id": space, "input": {"isPublic": False}},
        token=alice.access_token,
    )
    channel = (await client.data(CHANNELS, {"id": space}, token=alice.access_token))["space"][
        "channels"
    ][0]["id"]
    direct = (await client.data(OPEN_DIRECT, {"user": bob.id}, token=alice.access_token))[
        "openDirectChat"
    ]["id"]
    group = (
        await client.data(
            CREATE_GROUP, {"input": {"userIds": [bob.id, carol.id]}}, token=alice.access_token
        )
    )["createGroupChat"]["id"]
    mallory_direct = (
        await client.data(OPEN_DIRECT, {"user": carol.id}, token=mallory.access_token)
    )["openDirectChat"]["id"]
    return World(alice, bob, carol, mallory, space, channel, direct, group, mallory_direct)


async def send(client: GraphQLClient, who: Account, chat: str, content: str) -> str:
    data = await client.data(
        SEND, {"input": {"chatId": chat, "content": content}}, token=who.access_token
    )
    message_id: str = data["sendMessage"]["id"]
    return message_id


async def search(client: GraphQLClient, who: Account, query: str, **filters: Any) -> dict[str, Any]:
    data = await client.data(SEARCH, {"q": query, **filters}, token=who.access_token)
    found: dict[str, Any] = data["searchMessages"]
    return found


async def found(client: GraphQLClient, who: Account, query: str, **filters: Any) -> list[str]:
    """The contents found, newest first."""
    page = await search(client, who, query, **filters)
    return [edge["node"]["content"] for edge in page["edges"]]


async def refusal(client: GraphQLClient, who: Account, query: str, **filters: Any) -> str:
    error = await client.error(SEARCH, {"q": query, **filters}, token=who.access_token)
    code: str = error["extensions"]["code"]
    return code


# --- what matches -------------------------------------------------------------------------


async def test_every_word_must_match_a_whole_word(client: GraphQLClient, world: World) -> None:
    for text in ("the quick brown fox", "a quick reply", "brown bread", "quickly now"):
        await send(client, world.alice, world.direct, text)

    assert await found(client, world.bob, "quick brown") == ["the quick brown fox"]
    assert await found(client, world.bob, "brown") == ["brown bread", "the quick brown fox"]
    # Only the last word, as typed, may be the start of a longer one.
    assert await found(client, world.bob, "quick") == [
        "quickly now",
        "a quick reply",
        "the quick brown fox",
    ]
    assert await found(client, world.bob, "quick ") == ["a quick reply", "the quick brown fox"]
    assert await found(client, world.bob, "qui brown") == []
    assert await found(client, world.bob, "bro") == ["brown bread", "the quick brown fox"]
    assert await found(client, world.bob, "fox quick") == ["the quick brown fox"]
    assert await found(client, world.bob, "wolf") == []


async def test_case_accents_and_cyrillic_are_folded(
    client: GraphQLClient, world: World, backend: Backend
) -> None:
    await send(client, world.alice, world.direct, "Ёжик в тумане")
    await send(client, world.alice, world.direct, "Un Café crème, s'il vous plaît")
    await send(client, world.alice, world.direct, "Привет, как дела?")
    await send(client, world.alice, world.direct, "NAÏVE Question")

    assert await found(client, world.bob, "cafe CREME") == ["Un Café crème, s'il vous plaît"]
    assert await found(client, world.bob, "café") == ["Un Café crème, s'il vous plaît"]
    assert await found(client, world.bob, "naive question") == ["NAÏVE Question"]
    assert await found(client, world.bob, "привет") == ["Привет, как дела?"]
    assert await found(client, world.bob, "ПРИВЕТ дела") == ["Привет, как дела?"]
    assert await found(client, world.bob, "как де") == ["Привет, как дела?"]
    assert await found(client, world.bob, "приве дела") == []
    assert await found(client, world.bob, "ЁЖИК") == ["Ёжик в тумане"]
    # unaccent folds ё into its base letter; SQLite's tokenizer keeps ё a letter of its own.
    expected = ["Ёжик в тумане"] if backend.name == "postgres" else []
    assert await found(client, world.bob, "ежик") == expected


async def test_words_are_split_at_punctuation_on_both_sides(
    client: GraphQLClient, world: World
) -> None:
    await send(client, world.alice, world.direct, "see example.com/docs or mail ops@corp.io")
    await send(client, world.alice, world.direct, "snake_case and kebab-case")

    assert await found(client, world.bob, "example") == ["see example.com/docs or mail ops@corp.io"]
    assert await found(client, world.bob, "corp.io") == ["see example.com/docs or mail ops@corp.io"]
    assert await found(client, world.bob, "kebab") == ["snake_case and kebab-case"]
    assert await found(client, world.bob, "case snake") == ["snake_case and kebab-case"]


async def test_symbols_that_fold_into_several_characters_are_found(
    client: GraphQLClient, world: World, backend: Backend
) -> None:
    await send(client, world.alice, world.direct, "add ½ cup of ﬂour")
    await send(client, world.alice, world.direct, "e\u0301tude in C")  # é as e and an accent

    assert await found(client, world.bob, "½ cup") == ["add ½ cup of ﬂour"]
    assert await found(client, world.bob, "ﬂour") == ["add ½ cup of ﬂour"]
    # Only unaccent unfolds ligatures; SQLite's tokenizer keeps "ﬂ" a letter of its own.
    expected = ["add ½ cup of ﬂour"] if backend.name == "postgres" else []
    assert await found(client, world.bob, "flour") == expected
    assert await found(client, world.bob, "étude") == ["e\u0301tude in C"]
    assert await found(client, world.bob, "e\u0301tude") == ["e\u0301tude in C"]


@pytest.mark.parametrize(
    "query",
    [
        "hello & world | !x",
        "hello' OR '1'='1",
        'hello" OR "world',
        "hello:* <-> (world)",
        "hello\\ world",
        "NEAR(hello world)",
        "hello AND NOT world",
        "-hello +world ^x *",
        "'hello'",
        "{hello}: [world]; 100%",
        # Letters that unaccent turns into an apostrophe, a colon or parentheses.
        "hello\u02bcs wo\u02bbrld \u02d0 \u2474",
    ],
)
async def test_punctuation_in_a_query_is_never_syntax(
    client: GraphQLClient, world: World, query: str
) -> None:
    await send(client, world.alice, world.direct, "hello world")
    page = await search(client, world.bob, query)
    assert isinstance(page["edges"], list)


async def test_operators_in_a_query_are_plain_words(client: GraphQLClient, world: World) -> None:
    await send(client, world.alice, world.direct, "hello world")
    await send(client, world.alice, world.direct, "hello and or not near world")

    assert await found(client, world.bob, "hello OR world") == ["hello and or not near world"]
    assert await found(client, world.bob, "hello | world") == [
        "hello and or not near world",
        "hello world",
    ]


@pytest.mark.parametrize("query", ["", "   ", "!!! ... ???", "_ _"])
async def test_a_query_without_words_is_bad_input(
    client: GraphQLClient, world: World, query: str
) -> None:
    assert await refusal(client, world.bob, query) == "BAD_USER_INPUT"


async def test_queries_too_long_or_with_too_many_words_are_bad_input(
    client: GraphQLClient, world: World
) -> None:
    assert await refusal(client, world.bob, "a" * 101) == "BAD_USER_INPUT"
    assert await refusal(client, world.bob, " ".join("abcdefghijk")) == "BAD_USER_INPUT"
    assert (await search(client, world.bob, " ".join("abcdefghij")))["edges"] == []


# --- who finds what -------------------------------------------------------------------------


async def test_only_chats_the_caller_reads_are_searched(
    client: GraphQLClient, world: World
) -> None:
    await send(client, world.alice, world.channel, "secret in the channel")
    await send(client, world.alice, world.direct, "secret in the direct chat")
    await send(client, world.alice, world.group, "secret in the group")
    await send(client, world.mallory, world.mallory_direct, "secret of mallory")

    assert await found(client, world.bob, "secret") == [
        "secret in the group",
        "secret in the direct chat",
        "secret in the channel",
    ]
    assert await found(client, world.carol, "secret") == [
        "secret of mallory",
        "secret in the group",
    ]
    assert await found(client, world.mallory, "secret") == ["secret of mallory"]


async def test_a_chat_or_space_the_caller_left_is_no_longer_searched(
    client: GraphQLClient, world: World
) -> None:
    await send(client, world.alice, world.group, "plans for friday")
    await send(client, world.alice, world.channel, "friday standup")
    assert len(await found(client, world.bob, "friday")) == 2

    await client.data(LEAVE_CHAT, {"chat": world.group}, token=world.bob.access_token)
    assert await found(client, world.bob, "friday") == ["friday standup"]
    await client.data(LEAVE_SPACE, {"space": world.space}, token=world.bob.access_token)
    assert await found(client, world.bob, "friday") == []
    assert await found(client, world.carol, "friday") == ["plans for friday"]


async def test_a_public_space_is_not_searched_by_non_members(client: GraphQLClient) -> None:
    owner, visitor = await client.register("owner"), await client.register("visitor")
    space = await create_space(client, owner, public=True)
    channel = (await client.data(CHANNELS, {"id": space}, token=owner.access_token))["space"][
        "channels"
    ][0]["id"]
    await send(client, owner, channel, "welcome everyone")

    assert await found(client, visitor, "welcome") == []
    assert await found(client, visitor, "welcome", space=space) == []
    await join(client, visitor, space)
    assert await found(client, visitor, "welcome", space=space) == ["welcome everyone"]


async def test_deleted_messages_are_not_found(client: GraphQLClient, world: World) -> None:
    kept = await send(client, world.alice, world.direct, "remember the milk")
    gone = await send(client, world.alice, world.direct, "remember the password hunter2")
    await client.data(DELETE, {"id": gone}, token=world.alice.access_token)

    page = await search(client, world.bob, "remember")
    assert [edge["node"]["id"] for edge in page["edges"]] == [kept]
    assert await found(client, world.alice, "hunter2") == []


async def test_an_edited_message_is_found_by_its_current_text_only(
    client: GraphQLClient, world: World
) -> None:
    message = await send(client, world.alice, world.direct, "meeting at noon")
    await client.data(EDIT, {"id": message, "c": "lunch at one"}, token=world.alice.access_token)

    assert await found(client, world.bob, "noon") == []
    assert await found(client, world.bob, "meeting") == []
    assert await found(client, world.bob, "lunch one") == ["lunch at one"]


# --- filters ----------------------------------------------------------------------------------


async def test_filters_narrow_the_search_and_combine(client: GraphQLClient, world: World) -> None:
    await send(client, world.alice, world.channel, "deploy by alice in the channel")
    await send(client, world.bob, world.channel, "deploy by bob in the channel")
    await send(client, world.alice, world.direct, "deploy by alice in private")
    await send(client, world.bob, world.group, "deploy by bob in the group")

    everything = await found(client, world.bob, "deploy")
    assert len(everything) == 4
    assert await found(client, world.bob, "deploy", space=world.space) == [
        "deploy by bob in the channel",
        "deploy by alice in the channel",
    ]
    assert await found(client, world.bob, "deploy", chat=world.direct) == [
        "deploy by alice in private"
    ]
    assert await found(client, world.bob, "deploy", author=world.bob.id) == [
        "deploy by bob in the group",
        "deploy by bob in the channel",
    ]
    assert await found(client, world.bob, "deploy", space=world.space, author=world.alice.id) == [
        "deploy by alice in the channel"
    ]
    assert await found(client, world.bob, "deploy", chat=world.group, author=world.alice.id) == []
    # A chat outside the space given: both must hold.
    assert await found(client, world.bob, "deploy", space=world.space, chat=world.direct) == []


async def test_filters_the_caller_cannot_see_are_not_found(
    client: GraphQLClient, world: World
) -> None:
    mallory = world.mallory
    assert await refusal(client, mallory, "x", chat=world.direct) == "NOT_FOUND"
    assert await refusal(client, mallory, "x", chat=world.channel) == "NOT_FOUND"
    assert await refusal(client, mallory, "x", space=world.space) == "NOT_FOUND"
    assert await refusal(client, mallory, "x", author=to_global_id("User", 10**6)) == "NOT_FOUND"
    assert await refusal(client, mallory, "x", chat=to_global_id("Chat", 10**6)) == "NOT_FOUND"
    assert await refusal(client, mallory, "x", chat=world.space) == "BAD_USER_INPUT"
    # Another user the caller shares nothing with may still be named as the author.
    assert (await search(client, mallory, "x", author=world.alice.id))["edges"] == []


# --- pages -----------------------------------------------------------------------------------


async def test_results_come_newest_first_in_pages(client: GraphQLClient, world: World) -> None:
    sent = [await send(client, world.alice, world.direct, f"note {n}") for n in range(5)]
    sent.reverse()

    first = await search(client, world.bob, "note", first=2)
    assert [edge["node"]["id"] for edge in first["edges"]] == sent[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

    second = await search(client, world.bob, "note", first=2, after=first["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in second["edges"]] == sent[2:4]
    assert second["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasPreviousPage"] is True

    last = await search(client, world.bob, "note", first=2, after=second["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in last["edges"]] == sent[4:]
    assert last["pageInfo"]["hasNextPage"] is False

    exact = await search(client, world.bob, "note", first=5)
    assert len(exact["edges"]) == 5
    assert exact["pageInfo"]["hasNextPage"] is False
    beyond = await search(client, world.bob, "note", after=exact["pageInfo"]["endCursor"])
    assert beyond["edges"] == []
    assert beyond["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "not a cursor"}, "after"),
        ({"after": "WyJ4Il0"}, "after"),  # ["x"]: not a message id
    ],
)
async def test_bad_page_requests_are_bad_input(
    client: GraphQLClient, world: World, variables: dict[str, Any], field: str
) -> None:
    error = await client.error(SEARCH, {"q": "note", **variables}, token=world.bob.access_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


async def test_searching_needs_a_signed_in_caller(client: GraphQLClient) -> None:
    error = await client.error(SEARCH, {"q": "note"})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


FULL_PAGE = """query($q: String!) {
    searchMessages(query: $q, first: 50) {
        edges { node {
            id content createdAt
            chat { id title }
            author { tag avatarUrl }
            reactions { emoji count reactedByMe users { tag } }
            attachments { id filename }
            mentions { tag }
            replyTo { id content author { tag } }
            viewerCanEdit viewerCanDelete viewerCanPin viewerCanReact
            editHistory { content } pinnedBy { tag }
        } }
        pageInfo { hasNextPage }
    }
}"""
REACT = "mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }"


async def test_a_page_costs_the_same_statements_for_3_and_30_results(
    client: GraphQLClient, world: World, sql_statements: StatementCounter
) -> None:
    chats = [world.channel, world.direct, world.group]

    async def grow(size: int) -> None:
        previous: dict[str, str] = {}
        while True:
            page = await search(client, world.bob, "ping", first=100)
            if len(page["edges"]) >= size:
                return
            chat = chats[len(page["edges"]) % 3]
            variables = {"chatId": chat, "content": "ping @bob", "replyToId": previous.get(chat)}
            sent = await client.data(SEND, {"input": variables}, token=world.alice.access_token)
            previous[chat] = sent["sendMessage"]["id"]
            await client.data(REACT, {"m": previous[chat], "e": "👍"}, token=world.bob.access_token)

    async def cost(size: int) -> int:
        sql_statements.count, sql_statements.counting = 0, True
        data = await client.data(FULL_PAGE, {"q": "ping"}, token=world.bob.access_token)
        sql_statements.counting = False
        nodes = [edge["node"] for edge in data["searchMessages"]["edges"]]
        assert len(nodes) == size
        assert all(n["author"] and n["reactions"] and n["mentions"] and n["chat"] for n in nodes)
        return sql_statements.count

    await grow(3)
    small = await cost(3)
    await grow(30)
    assert await cost(30) == small
    # Authentication, the candidate chats, the caller's access to them (which the viewerCan*
    # fields reuse), the page (chats, authors, replies and theirs, attachments), reactions and
    # mentions, edit histories.
    assert small <= 7


SET_PERMISSIONS = """mutation($chat: ID!, $role: ID!, $allow: [Permission!]!,
                             $deny: [Permission!]!) {
    setChannelPermissions(chatId: $chat, roleId: $role, allow: $allow, deny: $deny) { id }
}"""
ROLES = "query($id: ID!) { space(id: $id) { roles { id isDefault } } }"
CREATE_CHANNEL = """mutation($space: ID!) {
    createChannel(spaceId: $space, input: {title: "staff"}) { id }
}"""


async def test_a_private_channel_is_searched_only_by_its_role(
    client: GraphQLClient, world: World
) -> None:
    """#staff denies VIEW_CHANNELS to the default role and allows it to Staff, which carol
    holds and bob does not: bob never finds its messages, nor may he name it as a filter;
    once Staff loses the allowance, carol stops finding them too."""
    alice, bob, carol = world.alice, world.bob, world.carol
    await join_by_invite(client, alice, carol, world.space)
    staff = await create_role(client, alice, world.space, name="Staff", position=1)
    await assign_role(client, alice, world.space, carol, staff["id"])
    roles = (await client.data(ROLES, {"id": world.space}, token=alice.access_token))["space"]
    everyone = next(role["id"] for role in roles["roles"] if role["isDefault"])
    created = await client.data(CREATE_CHANNEL, {"space": world.space}, token=alice.access_token)
    private = created["createChannel"]["id"]
    await send(client, alice, private, "salary review tomorrow")
    await send(client, alice, world.channel, "salary day is friday")
    for role, allow, deny in (
        (everyone, [], ["VIEW_CHANNELS"]),
        (staff["id"], ["VIEW_CHANNELS"], []),
    ):
        variables = {"chat": private, "role": role, "allow": allow, "deny": deny}
        await client.data(SET_PERMISSIONS, variables, token=alice.access_token)

    assert await found(client, bob, "salary") == ["salary day is friday"]
    assert await found(client, bob, "salary", space=world.space) == ["salary day is friday"]
    assert await refusal(client, bob, "salary", chat=private) == "NOT_FOUND"
    assert await found(client, carol, "salary") == [
        "salary day is friday",
        "salary review tomorrow",
    ]
    assert await found(client, carol, "salary", chat=private) == ["salary review tomorrow"]

    variables = {"chat": private, "role": staff["id"], "allow": [], "deny": []}
    await client.data(SET_PERMISSIONS, variables, token=alice.access_token)
    assert await found(client, carol, "salary") == ["salary day is friday"]
