"""Fresh databases for tests: SQLite files and PostgreSQL databases cloned from a migrated template.

Every test gets its own database, built by the real migrations (once per run, into a
template) so a missing revision fails the suite.
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
        if self.error is not None:
            unavailable(self.what, self.error)
        name = f"thespace_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"'))
        return Backend("postgres", asyncpg_url(database_url_for(name)), REDIS_URL), name

    @staticmethod
    def drop(name: str) -> None:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.error is None:
            self.drop(self.name)
