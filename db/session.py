"""Engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

import asyncio
import functools
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.dml import UpdateBase

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled connection idle this long is pinged before use: the server may have dropped it.
IDLE_PING_SECONDS = 10.0


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine.pool, "checkin", _note_idle_since)
        event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


def create_writer_engine(url: str) -> AsyncEngine | None:
    """For a SQLite file, the one connection that every session's writes take turns on.

    SQLite lets one connection write at a time. Left to itself, a write that finds another
    under way waits in SQLite's busy handler, which polls: the waiters are not served in
    order, one can lose every round, and after the busy timeout it fails with "database
    is locked" (seen under load, where a write transaction holds the lock while its task
    waits for the busy event loop). Writes instead queue, in order and without polling, for
    this engine's single pooled connection; reads go on meanwhile on the main engine's
    connections, which WAL never blocks. None for other databases (and for an in-memory
    SQLite, which has only the one connection anyway).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return create_engine(url, pool_size=1, max_overflow=0)


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that sat idle in the pool (the pool replaces it if that fails).

    `pool_pre_ping` pings at every check-out, which on asyncpg is three round trips (BEGIN,
    the ping, ROLLBACK) per request; a connection taken again within IDLE_PING_SECONDS
    is used as it is. One that broke meanwhile fails its statement, which SQLAlchemy turns
    into an invalidated pool (every older connection is replaced); authentication, a
    request's usual first statement, then runs again (GraphQLApp._authenticate). A
    statement elsewhere fails as INTERNAL, as one on a connection dropped mid-request would
    with pre-pinging too.
    """
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise exc.DisconnectionError("a pooled connection no longer answers") from error


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


READ_WITHOUT_TRANSACTION = {"isolation_level": "AUTOCOMMIT"}


async def read_without_transaction(session: AsyncSession) -> None:
    """Let `session` read, until it next commits, on a connection in autocommit mode.

    A read then costs no BEGIN and no ROLLBACK round trip. SQLite is left as it is: its
    driver begins a transaction only before a write anyway.
    """
    if session.get_bind().dialect.name != "sqlite":
        await session.connection(execution_options=READ_WITHOUT_TRANSACTION)


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


class WriterSession(Session):
    """Reads on the main engine; a write, and every statement after it until its
    transaction ends (so that it reads what it wrote), on the writer engine."""

    def __init__(self, *args: Any, writer: Engine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer = writer
        self.writing = False

    def get_bind(self, mapper: Any = None, *, clause: Any = None, **kwargs: Any) -> Any:
        if self.writing or self._flushing or isinstance(clause, UpdateBase):
            self.writing = True
            return self.writer
        return super().get_bind(mapper, clause=clause, **kwargs)


@event.listens_for(WriterSession, "after_transaction_end")
def _writer_released(session: Session, transaction: SessionTransaction) -> None:
    # The transaction's connections have gone back to their pools: the next write queues
    # for the writer again.
    if transaction.parent is None and isinstance(session, WriterSession):
        session.writing = False


def create_sessionmaker(
    engine: AsyncEngine, writer: AsyncEngine | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`, whose writes go through `writer` if there is one."""
    if writer is None:
        return async_sessionmaker(engine, class_=SerialSession, expire_on_commit=False)
    return async_sessionmaker(
        engine,
        class_=SerialSession,
        sync_session_class=WriterSession,
        expire_on_commit=False,
        writer=writer.sync_engine,
    )
