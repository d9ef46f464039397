"""How a search query is read into words, before any backend sees it."""

import pytest

from infra.errors import BadUserInput
from resolvers.search import SearchQuery, parse_query


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        ("hello world", SearchQuery(["hello", "world"], last_is_prefix=True)),
        ("hello world ", SearchQuery(["hello", "world"], last_is_prefix=False)),
        ("hello world!", SearchQuery(["hello", "world"], last_is_prefix=False)),
        ("foo_bar-baz", SearchQuery(["foo", "bar", "baz"], last_is_prefix=True)),
        ("'a' & \"b\" | c:*", SearchQuery(["a", "b", "c"], last_is_prefix=False)),
        ("Привет, Мир", SearchQuery(["привет", "мир"], last_is_prefix=True)),
        # A word twice counts once, and the word typed last stays the one that may be a prefix.
        ("cat dog CAT", SearchQuery(["dog", "cat"], last_is_prefix=True)),
    ],
)
def test_a_query_is_read_into_words(query: str, parsed: SearchQuery) -> None:
    assert parse_query(query) == parsed


@pytest.mark.parametrize("query", ["", "  ", "?!", "_", "a" * 101, " ".join("abcdefghijk")])
def test_a_query_without_words_or_past_the_limits_is_refused(query: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        parse_query(query)
    assert refused.value.extensions["field"] == "query"
