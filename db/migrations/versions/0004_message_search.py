"""full-text search of messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:40:00.000000

Neither backend's index is described by the models (see db/search_index.py).

PostgreSQL: a stored generated column `search_vector`, `thespace_search_vector(content)`,
with a GIN index. The function unaccents the text, turns every run of characters other than
letters and digits into a space (so that "example.com" or "foo_bar" hold words one can
find, as on SQLite) and splits it with the language-neutral 'simple' configuration
(lower-cased, no stemming, no stop words: Russian and English alike). unaccent is STABLE
(its dictionary could change); the wrapper is declared IMMUTABLE so that a generated column
may use it, and its body names the dictionary when it is created. `thespace_search_query`
turns a query's words into a tsquery by the same rules, so that both sides agree. The column is stored rather
than the expression indexed because a search for common words is fastest walking the
newest messages and testing each (see bench/README.md): that reads the stored vector, where
an expression index would make it compute the vector again for every message tested.
Adding the column rewrites the table (about 15 s for a million messages).

SQLite: an FTS5 table with external content (the text stays in messages only), tokenized by
unicode61 with diacritics removed, and triggers that keep it in step with every insert,
edit and delete in the same transaction. A deleted message has content NULL: its text leaves
the index. A later batch migration of `messages` (which copies the table) must recreate
these triggers.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    CREATE FUNCTION thespace_search_vector(content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector(
        'simple'::regconfig,
        regexp_replace(unaccent('unaccent'::regdictionary, content), '[^[:alnum:]]+', ' ', 'g')
    )
    """,
    # A query's words, normalised exactly as the column's function does the text: each word
    # is unaccented and split into runs of letters and digits, which are quoted (nothing in
    # them needs escaping), kept together as a phrase (a word unaccent turned into two, as
    # "½" into "1/2", is found where the text has both in a row), and all of them ANDed; the
    # last run of the last word matches as a prefix when asked. User text never reaches the
    # tsquery parser unquoted, so it cannot be syntax. A word with no letters or digits left
    # adds nothing; a query with none matches nothing.
    """
    CREATE FUNCTION thespace_search_query(words text[], last_is_prefix boolean) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsquery('simple'::regconfig, (
        WITH tokens AS (
            SELECT w.n, t.m, t.token,
                   w.n = cardinality(words) AND t.m = max(t.m) OVER (PARTITION BY w.n) AS final
            FROM unnest(words) WITH ORDINALITY AS w(word, n)
            CROSS JOIN LATERAL regexp_split_to_table(
                btrim(regexp_replace(
                    unaccent('unaccent'::regdictionary, w.word), '[^[:alnum:]]+', ' ', 'g'
                )),
                ' '
            ) WITH ORDINALITY AS t(token, m)
            WHERE t.token <> ''
        ), phrases AS (
            SELECT n, '(' || string_agg(
                '''' || token || '''' || CASE WHEN final AND last_is_prefix THEN ':*' ELSE '' END,
                ' <-> ' ORDER BY m
            ) || ')' AS phrase
            FROM tokens GROUP BY n
        )
        SELECT coalesce(string_agg(phrase, ' & ' ORDER BY n), '') FROM phrases
    ))
    """,
    """
    ALTER TABLE messages ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (thespace_search_vector(content)) STORED
    """,
    "CREATE INDEX ix_messages_search ON messages USING gin (search_vector)",
]
POSTGRES_DOWNGRADE = [
    "DROP INDEX ix_messages_search",
    "ALTER TABLE messages DROP COLUMN search_vector",
    "DROP FUNCTION thespace_search_query(text[], boolean)",
    "DROP FUNCTION thespace_search_vector(text)",
    # The extension stays: other objects of the database may use it.
]

SQLITE_UPGRADE = [
    """
    CREATE VIRTUAL TABLE messages_search USING fts5(
        content, content='messages', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    INSERT INTO messages_search (rowid, content)
    SELECT id, content FROM messages WHERE content IS NOT NULL
    """,
    """
    CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
    WHEN new.content IS NOT NULL
    BEGIN
        INSERT INTO messages_search (rowid, content) VALUES (new.id, new.content);
    END
    """,
    # External content: removing a row's terms needs the text they were indexed from.
    """
    CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages
    BEGIN
        INSERT INTO messages_search (messages_search, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.content IS NOT NULL;
        INSERT INTO messages_search (rowid, content)
        SELECT new.id, new.content WHERE new.content IS NOT NULL;
    END
    """,
    """
    CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
    WHEN old.content IS NOT NULL
    BEGIN
        INSERT INTO messages_search (messages_search, rowid, content)
        VALUES ('delete', old.id, old.content);
    END
    """,
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER messages_search_delete",
    "DROP TRIGGER messages_search_update",
    "DROP TRIGGER messages_search_insert",
    "DROP TABLE messages_search",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UPGRADE if sqlite else POSTGRES_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWNGRADE if sqlite else POSTGRES_DOWNGRADE:
        op.execute(statement)
