"""How a search query is read into words, before any backend sees it."""

import pytest
from sqlalchemy import Select, TextClause, text

from db.session import create_engine
from infra.errors import BadUserInput
from resolvers.search import SearchQuery, matching_ids, parse_query
from tests.backends import Backend


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


async def test_the_search_statement_uses_the_full_text_index(backend: Backend) -> None:
    """The statement asks what the index holds (PostgreSQL: the GIN-indexed column; SQLite:
    the FTS5 table), so that a search never scans the messages' text."""
    engine = create_engine(backend.database_url)
    statement = matching_ids(
        "postgresql" if backend.name == "postgres" else "sqlite",
        parse_query("hello wor"),
        [1, 2, 3],
        limit=21,
    )
    try:
        async with engine.connect() as connection:
            if backend.name == "postgres":
                # On an empty table, leave the planner only the search index to choose
                # (the DROP is rolled back with the connection's transaction).
                await connection.execute(text("SET LOCAL enable_seqscan = off"))
                await connection.execute(text("SET LOCAL enable_indexscan = off"))
                await connection.execute(text("DROP INDEX ix_messages_chat_id_id"))
                plan = "\n".join(
                    row[0] for row in await connection.execute(explain(statement, "EXPLAIN"))
                )
                assert "ix_messages_search" in plan, plan
            else:
                plan = "\n".join(
                    str(row[-1])
                    for row in await connection.execute(explain(statement, "EXPLAIN QUERY PLAN"))
                )
                assert "VIRTUAL TABLE INDEX" in plan, plan
    finally:
        await engine.dispose()


def explain(statement: Select[int], how: str) -> TextClause:
    compiled = statement.compile(compile_kwargs={"literal_binds": True})
    return text(f"{how} {compiled}")
