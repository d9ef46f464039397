"""Hostile input answers a clear BAD_USER_INPUT (GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED
when written in the document, or HTTP 400), never INTERNAL or a 500.

Strings holding U+0000 (PostgreSQL refuses them) or a lone surrogate (JSON allows "\\ud800";
no database can store it), cursors built to crash a decoder, search text long enough to
break a LIKE, date-times without a time zone or out of range, and bodies that are not a
GraphQL request at all.
"""

import asyncio
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from db.models import Message, User
from tests.backends import Backend
from tests.factories import create_space, join
from tests.graphql_client import Account, GraphQLClient
from tests.live import register, socket
from tests.servers import running_server

NUL = "a\u0000b"
SURROGATE = "a\ud800b"


async def post(client: GraphQLClient, body: object, token: str | None = None) -> httpx.Response:
    """POST `body` as JSON escaped to ASCII: a lone surrogate travels as the text "\\ud800"."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.http.post("/graphql", content=json.dumps(body), headers=headers)


async def single_error(
    client: GraphQLClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    response = await post(client, {"query": query, "variables": variables}, token)
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error


@dataclass
class World:
    alice: Account
    bob: Account
    space: str
    chat: str


@pytest.fixture
async def world(client: GraphQLClient) -> World:
    alice, bob = await client.register("alice"), await client.register("bob")
    space = await create_space(client, alice, public=True)
    await join(client, bob, space)
    chat = (
        await client.data(
            "mutation($u: ID!) { openDirectChat(userId: $u) { id } }",
            {"u": bob.id},
            token=alice.access_token,
        )
    )["openDirectChat"]["id"]
    return World(alice, bob, space, chat)


# Each case: an operation, its variables around the hostile text, and the field the error must
# name (the argument or input field the variable fills). Together they cover every kind of
# text argument.
TEXT_CASES: dict[str, tuple[str, Any, str]] = {
    "message content": (
        "mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }",
        lambda w, t: {"i": {"chatId": w.chat, "content": t}},
        "content",
    ),
    "clientMessageId": (
        "mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }",
        lambda w, t: {"i": {"chatId": w.chat, "content": "hi", "clientMessageId": t}},
        "clientMessageId",
    ),
    "bio": (
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { bio } }",
        lambda w, t: {"i": {"bio": t}},
        "bio",
    ),
    "login": (
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        lambda w, t: {"i": {"login": t, "password": "correct horse"}},
        "login",
    ),
    "tag": (
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        lambda w, t: {
            "i": {
                "email": "x@example.com",
                "password": "correct horse",
                "tag": t,
                "displayName": "x",
            }
        },
        "tag",
    ),
    "channel title": (
        "mutation($s: ID!, $i: ChannelInput!) { createChannel(spaceId: $s, input: $i) { id } }",
        lambda w, t: {"s": w.space, "i": {"title": t}},
        "title",
    ),
    "invite code": (
        "mutation($code: String!) { joinSpace(inviteCode: $code) { id } }",
        lambda w, t: {"code": t},
        "inviteCode",
    ),
    "search query": (
        "query($q: String!) { searchUsers(query: $q) { id } }",
        lambda w, t: {"q": t},
        "query",
    ),
    "cursor": (
        "query($c: ID!, $after: String) {"
        " messages(chatId: $c, after: $after) { edges { cursor } } }",
        lambda w, t: {"c": w.chat, "after": t},
        "after",
    ),
    "refresh token": (
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
        lambda w, t: {"t": t},
        "refreshToken",
    ),
    "id in a list": (
        "mutation($i: CreateGroupChatInput!) { createGroupChat(input: $i) { id } }",
        lambda w, t: {"i": {"title": "g", "userIds": [w.bob.id, t]}},
        "userIds",
    ),
}


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("case", TEXT_CASES, ids=list(TEXT_CASES))
async def test_unstorable_text_in_a_variable_is_bad_user_input_naming_the_field(
    client: GraphQLClient, app: Starlette, world: World, case: str, text: str
) -> None:
    query, variables, field = TEXT_CASES[case]
    error = await single_error(client, query, variables(world, text), world.alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert "U+0000" in error["message"]
    async with app.state.services.sessionmaker() as session:  # nothing was written
        assert await session.scalar(select(func.count()).select_from(Message)) == 0
        assert await session.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"], ids=["nul", "lone-surrogate"])
async def test_unstorable_text_written_in_the_document_is_refused_naming_the_field(
    client: GraphQLClient, world: World, escape: str
) -> None:
    literal = f'{{chatId: "{world.chat}", content: "a{escape}"}}'
    query = f"mutation {{ sendMessage(input: {literal}) {{ id }} }}"
    error = await single_error(client, query, {}, world.alice.access_token)
    if escape == "\\u0000":
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "content"}, error
    else:  # graphql-core's lexer refuses a lone surrogate escape itself
        assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}, error


async def test_text_longer_than_any_field_allows_is_refused_before_it_runs(
    client: GraphQLClient, world: World
) -> None:
    error = await single_error(
        client,
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { bio } }",
        {"i": {"bio": "x" * 100_001}},
        world.alice.access_token,
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "bio"}


async def test_paired_surrogates_and_ordinary_unicode_still_go_through(
    client: GraphQLClient, world: World
) -> None:
    content = "Привет 😀 \t tab"
    data = await client.data(
        "mutation($i: SendMessageInput!) { sendMessage(input: $i) { content } }",
        {"i": {"chatId": world.chat, "content": content}},
        token=world.alice.access_token,
    )
    assert data["sendMessage"]["content"] == content.strip()


# --- cursors ----------------------------------------------------------------------------------


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of("[" * 5000 + "]" * 5000),  # RecursionError in the JSON decoder
        cursor_of('[{"a": 1}]'),
        cursor_of("[1e999]"),
        cursor_of("[" + "9" * 5000 + "]"),  # past Python's integer digit limit
        cursor_of("\u00ff\u00fe"),
        "!!!",
        "x" * 100_000,
    ],
    ids=["deep", "object", "infinity", "huge-int", "not-json", "not-base64", "long"],
)
async def test_a_malformed_cursor_answers_our_own_message(
    client: GraphQLClient, world: World, cursor: str
) -> None:
    error = await single_error(
        client,
        "query($c: ID!, $b: String) { messages(chatId: $c, before: $b) { edges { cursor } } }",
        {"c": world.chat, "b": cursor},
        world.alice.access_token,
    )
    assert error["message"] == "Invalid cursor"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "before"}


# --- free-text search -------------------------------------------------------------------------

SEARCHES = {
    "publicSpaces": ("query($q: String) { publicSpaces(query: $q) { edges { cursor } } }", {}),
    "members": (
        "query($s: ID!, $q: String) { space(id: $s) { members(query: $q) { edges { cursor } } } }",
        {"s": None},
    ),
    "searchUsers": ("query($q: String!) { searchUsers(query: $q) { id } }", {}),
}


@pytest.mark.parametrize("search", SEARCHES, ids=list(SEARCHES))
async def test_a_search_longer_than_the_limit_is_bad_user_input(
    client: GraphQLClient, world: World, search: str
) -> None:
    query, extra = SEARCHES[search]
    variables = {**{k: world.space for k in extra}, "q": "%_" * 30_000}
    error = await single_error(client, query, variables, world.alice.access_token)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "query"}, error


@pytest.mark.parametrize("search", SEARCHES, ids=list(SEARCHES))
async def test_a_search_at_the_limit_runs(client: GraphQLClient, world: World, search: str) -> None:
    query, extra = SEARCHES[search]
    variables = {**{k: world.space for k in extra}, "q": "%_" * 50}
    await client.data(query, variables, token=world.alice.access_token)


# --- date-times -------------------------------------------------------------------------------

BAN = """mutation($s: ID!, $u: ID!, $until: DateTime) {
    banMember(spaceId: $s, userId: $u, expiresAt: $until) { expiresAt }
}"""


@pytest.mark.parametrize(
    "moment",
    [
        "2030-01-01T00:00:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2030-02-30T00:00:00Z",
        "tomorrow",
        5,
    ],
    ids=["naive", "past-the-end", "before-the-start", "no-such-day", "words", "number"],
)
async def test_a_date_time_without_offset_or_out_of_range_is_bad_user_input(
    client: GraphQLClient, world: World, moment: object
) -> None:
    error = await single_error(
        client,
        BAN,
        {"s": world.space, "u": world.bob.id, "until": moment},
        world.alice.access_token,
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "expiresAt"}, error
    assert "RFC 3339" in error["message"] or "range" in error["message"]


async def test_a_date_time_literal_without_offset_names_its_argument(
    client: GraphQLClient, world: World
) -> None:
    query = (
        f'mutation {{ banMember(spaceId: "{world.space}", userId: "{world.bob.id}", '
        'expiresAt: "2030-01-01T00:00:00") { expiresAt } }'
    )
    error = await single_error(client, query, {}, world.alice.access_token)
    # Written in the document, it fails validation (in a variable: BAD_USER_INPUT, above).
    expected = {"code": "GRAPHQL_VALIDATION_FAILED", "field": "expiresAt"}
    assert error["extensions"] == expected, error


async def test_a_date_time_with_an_offset_is_stored_as_that_instant(
    client: GraphQLClient, world: World
) -> None:
    data = await client.data(
        BAN,
        {"s": world.space, "u": world.bob.id, "until": "2030-01-01T02:00:00+02:00"},
        token=world.alice.access_token,
    )
    assert data["banMember"]["expiresAt"] == "2030-01-01T00:00:00+00:00"


def test_the_schema_documents_the_date_time_format() -> None:
    from graphql_schema.schema import export_sdl

    assert 'scalar DateTime @specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")' in (
        export_sdl()
    )


# --- bodies that are not a GraphQL request ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"null", b"5", b'"x"', b"true", b"\xff\xfe{", b"[" * 100_000, b'{"query": 5}', b"[]"],
    ids=[
        "null",
        "number",
        "string",
        "true",
        "invalid-utf8",
        "deep",
        "query-not-text",
        "empty-batch",
    ],
)
async def test_a_json_body_that_is_not_a_graphql_request_is_http_400(
    client: GraphQLClient, body: bytes
) -> None:
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("operations", "files_map"),
    [
        ("null", "{}"),
        ("5", "{}"),
        ('{"query": "{ me { id } }"}', "[1]"),
        ('{"query": "{ me { id } }"}', "null"),
        ('{"query": "{ me { id } }"}', '{"0": "variables.file"}'),
        ('{"query": "{ me { id } }"}', '{"0": [5]}'),
        ('{"query": "{ me { id } }", "variables": {"f": 1}}', '{"0": ["variables.f.x"]}'),
        ('{"query": "{ me { id } }", "variables": {"l": []}}', '{"0": ["variables.l.7"]}'),
        ('{"query": "{ me { id } }", "variables": {"l": []}}', '{"0": ["variables.l.x"]}'),
        ('{"query": "{ me { id } }"}', '{"missing": ["variables.file"]}'),
    ],
    ids=[
        "operations-null",
        "operations-number",
        "map-list",
        "map-null",
        "map-path-not-list",
        "map-path-number",
        "path-into-number",
        "index-out-of-range",
        "index-not-number",
        "file-missing",
    ],
)
async def test_a_multipart_request_that_does_not_fit_the_spec_is_http_400(
    client: GraphQLClient, operations: str, files_map: str
) -> None:
    response = await client.http.post(
        "/graphql",
        data={"operations": operations, "map": files_map},
        files={"0": ("a.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 400, response.text


async def test_a_socket_frame_nested_too_deeply_closes_with_4400(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path) as server:
        token, _ = register(server, "alice")
        async with socket(server, token) as ws:
            await ws.send("[" * 100_000)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4400
        assert server.execute("{ __typename }") == {"data": {"__typename": "Query"}}


async def test_a_subscription_sent_over_http_is_refused_pointing_at_the_socket(
    client: GraphQLClient, world: World
) -> None:
    error = await single_error(
        client, "subscription { myEvents { __typename } }", {}, world.alice.access_token
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "WebSocket" in error["message"]
