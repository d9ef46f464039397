"""SQLite takes one write at a time: sessions that write queue for it, and reads go on."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db import session as db_session
from db.models import User
from tests.backends import Backend

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
BUSY_TIMEOUT_MS = 100  # SQLite's own wait for a write lock, shortened so the test is quick
HOLD_SECONDS = 0.5  # how long the first writer keeps its transaction open: 5 busy timeouts


@dataclass
class Database:
    sessionmaker: async_sessionmaker[AsyncSession]
    engines: list[AsyncEngine]


@pytest.fixture
async def database(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    monkeypatch.setattr(db_session, "SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    engine = db_session.create_engine(backend.database_url)
    writer = db_session.create_writer_engine(backend.database_url)
    assert writer is not None
    yield Database(db_session.create_sessionmaker(engine, writer), [engine, writer])
    for each in (engine, writer):
        await each.dispose()


def user(tag: str) -> User:
    return User(email=f"{tag}@example.com", tag=tag, display_name=tag, password_hash="x")


@sqlite_only
async def test_a_write_waits_its_turn_however_long_another_holds_the_database(
    database: Database,
) -> None:
    """Without the queue the second writer fails with "database is locked" after the busy
    timeout, while the first still holds the write lock."""
    order: list[str] = []
    first_has_written = asyncio.Event()

    async def first() -> None:
        async with database.sessionmaker() as session:
            session.add(user("first"))
            await session.flush()  # holds SQLite's write lock from here to the commit
            first_has_written.set()
            await asyncio.sleep(HOLD_SECONDS)
            order.append("first commits")
            await session.commit()

    async def second() -> None:
        await first_has_written.wait()
        async with database.sessionmaker() as session:
            # Reads go on meanwhile, and see only what is committed.
            assert await session.scalar(select(func.count()).select_from(User)) == 0
            order.append("second read")
            session.add(user("second"))
            await session.commit()
            order.append("second committed")

    await asyncio.gather(first(), second())
    assert order == ["second read", "first commits", "second committed"]
    async with database.sessionmaker() as session:
        tags = set(await session.scalars(select(User.tag)))
    assert tags == {"first", "second"}


@sqlite_only
async def test_a_session_reads_what_it_wrote_before_committing(database: Database) -> None:
    async with database.sessionmaker() as session:
        session.add(user("ada"))
        await session.flush()
        await session.execute(update(User).where(User.tag == "ada").values(bio="engines"))
        assert await session.scalar(select(User.bio).where(User.tag == "ada")) == "engines"
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(User)) == 0


WRITERS = 60


@sqlite_only
async def test_many_concurrent_writers_all_commit(database: Database) -> None:
    async def write(n: int) -> None:
        async with database.sessionmaker() as session:
            await session.scalar(select(func.count()).select_from(User))  # read, then write
            session.add(user(f"user{n}"))
            await session.flush()
            await asyncio.sleep(0.01)  # a transaction held across an await, as resolvers do
            await session.execute(update(User).where(User.tag == f"user{n}").values(bio="x"))
            await session.commit()

    await asyncio.gather(*(write(n) for n in range(WRITERS)))
    async with database.sessionmaker() as session:
        written = await session.scalar(select(func.count()).where(User.bio == "x"))
    assert written == WRITERS
