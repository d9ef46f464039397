"""Engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

import asyncio
import functools
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


class SerialSession(AsyncSession):
    """An AsyncSession that GraphQL fields resolved concurrently can share: calls take turns.

    A plain AsyncSession refuses overlapping operations, and Strawberry resolves sibling
    fields (and root query fields) concurrently within one request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()


def _taking_turns(name: str) -> None:
    method = getattr(AsyncSession, name)

    @functools.wraps(method)
    async def serialized(self: SerialSession, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await method(self, *args, **kwargs)

    setattr(SerialSession, name, serialized)


# The methods that reach the database themselves (the others delegate to these).
for _name in (
    "execute",
    "scalar",
    "get",
    "get_one",
    "stream",
    "refresh",
    "run_sync",
    "delete",
    "merge",
    "flush",
    "connection",
    "commit",
    "rollback",
):
    _taking_turns(_name)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=SerialSession, expire_on_commit=False)
