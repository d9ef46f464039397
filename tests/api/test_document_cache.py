"""Each distinct document is parsed and validated once; what depends on the request is
checked on every request; what was refused stays refused."""

from collections.abc import Callable
from typing import Any

import pytest
import strawberry
import strawberry.schema.schema
from graphql import parse, specified_rules

import graphql_schema.extensions.documents
from graphql_schema.extensions.documents import DocumentCache
from tests.graphql_client import GraphQLClient

ME = "query { me { id tag } }"
PROFILE = "mutation($p: UpdateProfileInput!) { updateProfile(input: $p) { bio } }"


def counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    """Each call of `module.name` from now on, by its first argument."""
    calls: list[object] = []
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def test_a_document_is_parsed_and_validated_once_whoever_sends_it(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = await client.register("alice"), await client.register("bob")
    parsed = counting(monkeypatch, strawberry.schema.schema, "parse")
    validated = counting(monkeypatch, graphql_schema.extensions.documents, "validate_document")
    for who in (alice, bob, alice):
        assert (await client.data(ME, token=who.access_token))["me"]["tag"] == who.tag
    other = "query { me { tag } }"
    assert (await client.data(other, token=bob.access_token))["me"] == {"tag": "bob"}
    assert parsed == [ME, other]
    assert len(validated) == 2


async def test_a_refused_document_is_refused_again_with_the_same_errors(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    unknown = "query { me { id nickname } }"
    first = await client.execute(unknown, token=alice.access_token)
    again = await client.execute(unknown, token=alice.access_token)
    assert first == again
    assert first["data"] is None
    assert first["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nickname" in first["errors"][0]["message"]


async def test_text_in_variables_is_checked_on_every_request(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    fine = await client.data(PROFILE, {"p": {"bio": "fine"}}, token=alice.access_token)
    refused = await client.error(PROFILE, {"p": {"bio": "nul \x00"}}, token=alice.access_token)
    after = await client.data(PROFILE, {"p": {"bio": "again"}}, token=alice.access_token)
    assert fine["updateProfile"]["bio"] == "fine"
    assert refused["extensions"]["code"] == "BAD_USER_INPUT"
    assert refused["extensions"]["field"] == "bio"
    assert after["updateProfile"]["bio"] == "again"


def test_the_cache_keeps_the_most_recently_used_within_its_character_budget() -> None:
    schema = strawberry.Schema(query=_Query)._schema
    cache = DocumentCache(specified_rules, max_length=30, max_characters=60)
    texts = [f"{{ a{n}: hello }}" + " " * 4 for n in range(4)]  # 20 characters each
    for text in texts[:3]:
        cache.validated(schema, text, parse(text))
    assert cache.get(texts[0]) is not None  # now the most recently used
    cache.validated(schema, texts[3], parse(texts[3]))
    assert [cache.get(text) is not None for text in texts] == [True, False, True, True]
    long = "{ hello }" + " " * 30
    assert cache.validated(schema, long, parse(long)) == []
    assert cache.get(long) is None and len(cache) == 3


def test_validation_errors_are_kept_with_their_document() -> None:
    schema = strawberry.Schema(query=_Query)._schema
    cache = DocumentCache(specified_rules)
    text = "{ goodbye }"
    document = parse(text)
    [error] = cache.validated(schema, text, document)
    assert "goodbye" in error.message
    entry = cache.get(text)
    assert entry is not None and entry.document is document and entry.errors == [error]


@strawberry.type
class _Query:
    hello: str = "world"
