"""Fresh databases for tests: SQLite files and PostgreSQL databases cloned from a migrated template.

Every test gets its own database, built by the real migrations (once per run, into a
template) so a missing revision fails the suite. A PostgreSQL clone costs seconds to create
and drop (the server writes and syncs every file of it), so a test's database is emptied
instead, rows and sequences alike, and handed to the next test of the same process: the
same empty, migrated state in a few milliseconds.
"""

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from redis import asyncio as redis

from db.migrate import upgrade_to_head
from db.session import create_engine

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# In CI a missing PostgreSQL or Redis is a failure, never a silent skip.
BACKENDS_REQUIRED = os.environ.get("CI", "").lower() in ("1", "true") or bool(
    os.environ.get("THESPACE_REQUIRE_BACKENDS")
)


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    broadcast_url: str


def unavailable(what: str, error: BaseException) -> None:
    message = f"{what} is not reachable ({error!r})"
    if BACKENDS_REQUIRED:
        pytest.fail(f"{message}; it is required in CI", pytrace=False)
    pytest.skip(f"{message}; set CI=true to make this a failure")


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def database_url_for(name: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
SEQUENCES = "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"


async def _tables(url: str) -> frozenset[str]:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        return frozenset(row[0] for row in await connection.fetch(TABLES))
    finally:
        await connection.close()


async def _empty(url: str, tables: frozenset[str]) -> bool:
    """Delete every row but the migration version and restart every sequence; False (and
    nothing changed) if the tables differ from `tables`."""
    connection = await asyncpg.connect(url, timeout=5)
    try:
        if frozenset(row[0] for row in await connection.fetch(TABLES)) != tables:
            return False
        async with connection.transaction():
            await connection.execute("SET LOCAL lock_timeout = '2s'")
            # Rows go in any order: foreign keys are not checked while replicating.
            await connection.execute("SET LOCAL session_replication_role = replica")
            for table in sorted(tables - {"alembic_version"}):
                await connection.execute(f'DELETE FROM "{table}"')  # noqa: S608 (our tables)
            for row in await connection.fetch(SEQUENCES):
                await connection.execute(f'ALTER SEQUENCE "{row[0]}" RESTART')
        return True
    finally:
        await connection.close()


async def redis_ping() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    finally:
        await client.aclose()


class SqliteTemplate:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{self.path}"))

    def fresh(self, directory: Path) -> Backend:
        target = directory / "thespace.db"
        shutil.copyfile(self.path, target)
        return Backend("sqlite", f"sqlite+aiosqlite:///{target}", "memory://")


class PostgresTemplate:
    def __init__(self) -> None:
        self.name = f"thespace_template_{uuid.uuid4().hex[:12]}"
        self.error: BaseException | None = None
        self.clones: set[str] = set()
        self.emptied: list[str] = []
        self._tables: frozenset[str] | None = None
        try:
            asyncio.run(redis_ping())
        except Exception as exc:
            self.error = exc
            self.what = f"Redis at {REDIS_URL}"
            return
        try:
            asyncio.run(_admin(f'CREATE DATABASE "{self.name}"'))
            asyncio.run(_migrate(asyncpg_url(database_url_for(self.name))))
        except Exception as exc:
            self.error = exc
            self.what = f"PostgreSQL at {POSTGRES_URL}"

    def fresh(self) -> tuple[Backend, str]:
        """An empty migrated database: an emptied one if a test has given one back."""
        if self.error is not None:
            unavailable(self.what, self.error)
        if self.emptied:
            name = self.emptied.pop()
        else:
            name = f"thespace_test_{uuid.uuid4().hex[:12]}"
            asyncio.run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"'))
            self.clones.add(name)
        return Backend("postgres", asyncpg_url(database_url_for(name)), REDIS_URL), name

    def give_back(self, name: str) -> None:
        """Empty a test's database for the next test, or drop it if it cannot be emptied
        (its tables are not the template's, or a connection still holds a lock)."""
        try:
            emptied = asyncio.run(_empty(database_url_for(name), self.tables()))
        except (OSError, asyncpg.PostgresError):
            emptied = False
        if emptied:
            self.emptied.append(name)
            return
        self.clones.discard(name)
        self.drop(name)

    def tables(self) -> frozenset[str]:
        if self._tables is None:
            self._tables = asyncio.run(_tables(database_url_for(self.name)))
        return self._tables

    @staticmethod
    def drop(name: str) -> None:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.error is None:
            for name in self.clones:
                self.drop(name)
            self.drop(self.name)
