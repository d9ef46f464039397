"""The migrations build exactly the models' schema, and applying them is safe to race."""

import asyncio
import re
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Integer, MetaData, event, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import db.models  # noqa: F401  (registers every table on the metadata)
from db.base import Base
from db.migrate import alembic_config, upgrade_to_head
from db.search_index import include_object
from db.session import create_engine
from tests.backends import POSTGRES_URL, Backend, asyncpg_url, database_url_for, unavailable

CONCURRENT_RUNS = 4
DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)

# SQLite cannot reflect expression-based indexes (lower(email), lower(display_name), ...):
# SQLAlchemy skips them when reading the database and Alembic skips them in the metadata,
# each with a warning. They are checked apart, by name, in sqlite_master.
SQLITE_UNREFLECTABLE = re.compile(r"expression-based index")
EXPRESSION_INDEXES = {
    "uq_users_email_lower",
    "ix_users_display_name_prefix",
    "ix_spaces_is_public_name_lower",
}


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "target_metadata": metadata,
            "include_object": include_object,
        },
    )
    with warnings.catch_warnings():
        if connection.dialect.name == "sqlite":
            warnings.filterwarnings("ignore", message=f".*{SQLITE_UNREFLECTABLE.pattern}")
        differences: list[Any] = compare_metadata(context, metadata)
    return differences


async def differences_from(backend: Backend, metadata: MetaData) -> list[Any]:
    engine = create_engine(backend.database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(schema_differences, metadata)
    finally:
        await engine.dispose()


# --- the migrated schema is the models' schema ------------------------------------------------


async def test_migrations_match_the_models(backend: Backend) -> None:
    differences = await differences_from(backend, Base.metadata)
    assert differences == [], (
        "the models differ from what the migrations build; add a revision with "
        f"`thespace make-migration <message>`:\n{differences}"
    )


async def test_a_model_change_without_a_revision_is_detected(backend: Backend) -> None:
    """The comparison above is not vacuous: a new column is noticed."""
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["users"].append_column(Column("shoe_size", Integer, nullable=True))

    differences = await differences_from(backend, changed)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "users", "shoe_size")]


async def test_sqlite_has_the_expression_indexes_it_cannot_compare(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'thespace.db'}")
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index'")
            )
            names = {row[0] for row in rows}
    finally:
        await engine.dispose()
    assert names >= EXPRESSION_INDEXES


# --- upgrade_to_head is safe to race and idempotent -------------------------------------------


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new database with no tables at all (not a clone of the migrated template)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"thespace_empty_{uuid.uuid4().hex[:12]}"
    try:
        await _postgres_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable(f"PostgreSQL at {POSTGRES_URL}", exc)
    yield asyncpg_url(database_url_for(name))
    await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _upgrade_with_own_engine(url: str) -> None:
    """Like one server process starting up: its own engine and connection pool."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def _versions_and_tables(engine: AsyncEngine) -> tuple[list[str], set[str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        versions = [row[0] for row in rows]
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    # The full-text index's own tables (SQLite: FTS5 and its shadow tables) are no models'.
    return versions, {name for name in tables if include_object(None, name, "table", True, None)}


async def test_concurrent_upgrades_on_an_empty_database_all_succeed(
    empty_database_url: str,
) -> None:
    runs = [_upgrade_with_own_engine(empty_database_url) for _ in range(CONCURRENT_RUNS)]
    await asyncio.wait_for(asyncio.gather(*runs), timeout=60)

    engine = create_engine(empty_database_url)
    try:
        versions, tables = await _versions_and_tables(engine)
    finally:
        await engine.dispose()
    assert versions == [head_revision()]
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_a_second_upgrade_is_a_no_op(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    try:
        await upgrade_to_head(engine)
        before = await _versions_and_tables(engine)
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        await upgrade_to_head(engine)
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        after = await _versions_and_tables(engine)
    finally:
        await engine.dispose()

    assert statements, "the listener saw nothing; the check would be vacuous"
    assert [s for s in statements if DDL.match(s)] == []
    assert after == before
    assert after[0] == [head_revision()]
