"""Announced events are released for publishing only by a commit."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from infra.events import MessageCreated, MessageUpdated
from infra.outbox import announce, chat_topic, take_committed


@pytest.fixture
async def session() -> AsyncIterator[AsyncSession]:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with async_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def test_a_commit_releases_what_was_announced_in_order(session: AsyncSession) -> None:
    announce(session, chat_topic(1), MessageCreated(chat_id=1, message_id=1))
    announce(session, chat_topic(1), MessageUpdated(chat_id=1, message_id=1))
    assert take_committed(session) == []  # not before the commit
    await session.execute(text("SELECT 1"))
    await session.commit()
    assert [a.event for a in take_committed(session)] == [
        MessageCreated(chat_id=1, message_id=1),
        MessageUpdated(chat_id=1, message_id=1),
    ]
    assert take_committed(session) == []  # taken once


async def test_a_rollback_drops_what_was_announced_since_the_last_commit(
    session: AsyncSession,
) -> None:
    announce(session, chat_topic(1), MessageCreated(chat_id=1, message_id=1))
    await session.execute(text("SELECT 1"))
    await session.commit()
    announce(session, chat_topic(1), MessageCreated(chat_id=1, message_id=2))
    await session.execute(text("SELECT 1"))
    await session.rollback()
    await session.execute(text("SELECT 1"))
    await session.commit()
    assert [a.event for a in take_committed(session)] == [MessageCreated(chat_id=1, message_id=1)]
