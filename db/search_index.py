"""Names of the full-text index of messages, which the migrations build outside the models.

Migration 0004 creates it per backend (PostgreSQL: a generated tsvector column with a GIN
index; SQLite: an FTS5 table kept in step by triggers). The models do not describe it (the
column exists on one backend only), so the schema comparisons (autogenerate,
tests/test_migrations.py) leave these objects out through `include_object`.
"""

from typing import Any

# SQLite: the FTS5 table; FTS5 adds shadow tables named after it (messages_search_data, ...).
SEARCH_TABLE = "messages_search"
# PostgreSQL: messages.search_vector, thespace_search_vector(content), and its GIN index.
SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_messages_search"


def include_object(
    _object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """False for the search index's own objects, which the models do not declare."""
    if type_ == "table" and name is not None:
        return name != SEARCH_TABLE and not name.startswith(f"{SEARCH_TABLE}_")
    if type_ == "column":
        return name != SEARCH_COLUMN
    if type_ == "index":
        return name != SEARCH_INDEX
    return True
