"""Request limits through the API: no document stalls the server, an operation that may
return too much is refused before it runs, and production errors keep the schema to
themselves."""

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.settings import DEFAULT_MAX_QUERY_COST
from tests.api.conftest import Serve
from tests.backends import Backend
from tests.conftest import StatementCounter
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient
from tests.servers import running_server

USER = "fragment UserFields on User { id tag displayName avatarUrl status }"
# The largest pages a client realistically asks for, each in one request.
MESSAGE_PAGE = (
    """query($chat: ID!) { messages(chatId: $chat, last: 100) {
        pageInfo { hasPreviousPage startCursor }
        edges { cursor node { ...MessageFields } }
    } }
    fragment MessageFields on Message {
        id kind content createdAt editedAt deletedAt mentionsEveryone
        author { ...UserFields }
        reactions { emoji count reactedByMe users(first: 10) { ...UserFields } }
        attachments { id filename contentType size width height url }
        mentions { ...UserFields }
        replyTo { id content deletedAt author { ...UserFields } }
        chat { id kind title }
    } """
    + USER
)
MEMBER_PAGE = (
    """query($space: ID!) { space(id: $space) { id name memberCount
        members(first: 100) {
            pageInfo { hasNextPage endCursor }
            edges { cursor node { nickname joinedAt
                user { ...UserFields bio lastSeenAt }
                roles { id name color position permissions isDefault mentionable }
            } }
        }
    } } """
    + USER
)
CHAT_LIST = (
    """query { myChats(first: 100) {
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id kind title topic createdAt unreadCount
            lastMessage { id content createdAt author { ...UserFields } }
            participants { ...UserFields }
        } }
    } } """
    + USER
)
# Lists inside lists multiply: every space, every channel, a full page of messages, every
# reaction group and its users, twice over through an alias.
NESTED_LISTS = """{ a: mySpaces { ...Everything } b: mySpaces { ...Everything } }
fragment Everything on Space { channels { messages(last: 100) { edges { node {
    reactions { users(first: 10) { id } }
} } } } }"""


def doubling_fragments(levels: int) -> str:
    """`me { ...F0 }`, each fragment spreading the next one twice: 2**levels spreads of
    the last one, in a document of a few hundred bytes."""
    fragments = [f"fragment F{i} on User {{ id ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    last = f"fragment F{levels} on User {{ id }}"
    return "query { me { ...F0 } } " + " ".join([*fragments, last])


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


# --- documents that used to stall the process -------------------------------------------------


def test_thirty_levels_of_doubling_fragments_are_answered_at_once_while_healthz_answers(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path) as server:
        server.execute("{ __typename }")  # the first request warms the process up
        started = time.monotonic()
        server.execute("{ __typename }")
        trivial = time.monotonic() - started
        answer: dict[str, Any] = {}

        def post() -> None:
            started = time.monotonic()
            answer["body"] = server.execute(doubling_fragments(30))
            answer["seconds"] = time.monotonic() - started

        sender = threading.Thread(target=post)
        sender.start()
        while sender.is_alive():  # a stuck event loop would time these out
            assert httpx.get(f"{server.http_url}/healthz", timeout=1).status_code == 200
            time.sleep(0.05)
        sender.join()
        assert httpx.get(f"{server.http_url}/healthz", timeout=1).status_code == 200
    # Within a fraction of a second of a trivial request (which a busy machine slows too).
    assert answer["seconds"] < trivial + 0.5, (answer, trivial)
    assert "INTERNAL" not in codes(answer["body"])  # answered, refused or not


async def test_many_copies_of_one_field_are_refused_before_merging_them_gets_slow(
    client: GraphQLClient,
) -> None:
    # Checking that 400 copies merge compares every pair of them: seconds of CPU.
    body = await client.execute("{ " + "me { id } " * 400 + "}")
    assert body.get("data") is None
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aborted" in body["errors"][0]["message"]


# --- query cost -------------------------------------------------------------------------------


async def busy_chat(client: GraphQLClient) -> tuple[Account, str, str]:
    """Alice, a space Bob joined, and a direct chat with a mention, a reply, a reaction."""
    alice = await client.register("alice")
    bob = await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    chat = (
        await client.data(
            "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
            {"u": bob.id},
            token=alice.access_token,
        )
    )["openDirectChat"]["id"]
    first = (
        await client.data(
            """mutation($chat: ID!) { sendMessage(input: {chatId: $chat, content: "hi @bob"}) {
                id } }""",
            {"chat": chat},
            token=alice.access_token,
        )
    )["sendMessage"]["id"]
    await client.data(
        """mutation($chat: ID!, $to: ID!) {
            sendMessage(input: {chatId: $chat, content: "hello", replyToId: $to}) { id } }""",
        {"chat": chat, "to": first},
        token=bob.access_token,
    )
    await client.data(
        'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }',
        {"m": first},
        token=bob.access_token,
    )
    return alice, space, chat


async def test_the_largest_realistic_pages_are_within_the_cost_limit(
    client: GraphQLClient,
) -> None:
    alice, space, chat = await busy_chat(client)
    messages = await client.data(MESSAGE_PAGE, {"chat": chat}, token=alice.access_token)
    members = await client.data(MEMBER_PAGE, {"space": space}, token=alice.access_token)
    chats = await client.data(CHAT_LIST, token=alice.access_token)
    edges = messages["messages"]["edges"]
    assert [edge["node"]["content"] for edge in edges] == ["hi @bob", "hello"]
    assert edges[0]["node"]["mentions"][0]["tag"] == "bob"
    assert edges[0]["node"]["reactions"][0]["users"][0]["tag"] == "bob"
    assert edges[1]["node"]["replyTo"]["author"]["tag"] == "alice"
    assert len(members["space"]["members"]["edges"]) == 2
    assert chats["myChats"]["edges"][0]["node"]["lastMessage"]["content"] == "hello"


async def test_nested_lists_multiplying_past_the_cost_limit_are_refused_before_running(
    client: GraphQLClient, sql_statements: StatementCounter
) -> None:
    alice = await client.register("alice")
    sql_statements.counting = True
    await client.data("{ __typename }", token=alice.access_token)
    authentication = sql_statements.count
    body = await client.execute(NESTED_LISTS, token=alice.access_token)
    sql_statements.counting = False
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["limit"] == "cost"
    assert error["extensions"]["maxCost"] == DEFAULT_MAX_QUERY_COST
    assert error["extensions"]["cost"] > DEFAULT_MAX_QUERY_COST
    assert "cost" in error["message"]
    assert sql_statements.count == 2 * authentication  # nothing ran but the token check


async def test_the_maximum_query_cost_is_a_setting(serve: Serve) -> None:
    page = "query($n: Int) { myChats(first: $n) { edges { node { id } } } }"
    async with serve(max_query_cost=25) as client:
        alice = await client.register("alice")
        small = await client.execute(page, {"n": 12}, token=alice.access_token)
        large = await client.execute(page, {"n": 13}, token=alice.access_token)
        # The same document again: its cost is measured with each request's variables.
        again = await client.execute(page, {"n": 12}, token=alice.access_token)
    assert small == again == {"data": {"myChats": {"edges": []}}}  # 1 + 12 edges + 12 nodes
    assert large["errors"][0]["extensions"] == {
        "code": "GRAPHQL_VALIDATION_FAILED",
        "limit": "cost",
        "cost": 27,
        "maxCost": 25,
    }


# --- suggestions ------------------------------------------------------------------------------

# Each request makes graphql-core suggest a name of the schema ("Did you mean …?"); the
# document fails validation, or (with variables) its variables fail coercion.
MISSPELLED = [
    pytest.param("{ mee { id } }", {}, "Cannot query field 'mee'", id="field"),
    pytest.param(
        '{ searchUsers(query: "a", frist: 3) { id } }', {}, "argument 'frist'", id="argument"
    ),
    pytest.param(
        "mutation($s: PresenceStatu!) { setStatus(status: $s) { id } }",
        {},
        "Unknown type 'PresenceStatu'",
        id="type",
    ),
    pytest.param(
        "mutation { setStatus(status: ONLIN) { id } }", {}, "Value 'ONLIN'", id="enum-literal"
    ),
    pytest.param(
        "mutation($s: PresenceStatus!) { setStatus(status: $s) { id } }",
        {"s": "ONLIN"},
        "Value 'ONLIN'",
        id="enum-variable",
    ),
    pytest.param(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        {"i": {"login": "a", "password": "b", "passwrd": "c"}},
        "field 'passwrd'",
        id="input-field",
    ),
]


def expected_code(variables: dict[str, Any]) -> str:
    return "BAD_USER_INPUT" if variables else "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(("query", "variables", "problem"), MISSPELLED)
async def test_errors_suggest_names_while_introspection_is_on(
    client: GraphQLClient, query: str, variables: dict[str, Any], problem: str
) -> None:
    body = await client.execute(query, variables)
    assert codes(body) == [expected_code(variables)]
    assert problem in body["errors"][0]["message"]
    assert "Did you mean" in body["errors"][0]["message"]


@pytest.mark.parametrize(("query", "variables", "problem"), MISSPELLED)
async def test_errors_suggest_no_names_when_introspection_is_off(
    serve: Serve, query: str, variables: dict[str, Any], problem: str
) -> None:
    async with serve(introspection=False) as client:
        body = await client.execute(query, variables)
    assert codes(body) == [expected_code(variables)]
    message = body["errors"][0]["message"]
    assert problem in message
    assert "Did you mean" not in message
