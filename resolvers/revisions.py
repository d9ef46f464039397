"""Edit history: the earlier versions of a message's text, kept when edits replace them."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Message, MessageRevision

# Versions kept per message: an edit beyond them forgets the oldest, so a message's
# history (and Message.editHistory on a page of 100) stays bounded.
MAX_REVISIONS = 50


async def keep_replaced(
    session: AsyncSession, message: Message, replaced: str, at: datetime
) -> None:
    """Keep the text an edit at `at` replaces (in the edit's transaction), forgetting any
    version beyond the newest MAX_REVISIONS."""
    session.add(MessageRevision(message_id=message.id, content=replaced, replaced_at=at))
    await session.flush()
    kept = (
        select(MessageRevision.id)
        .where(MessageRevision.message_id == message.id)
        .order_by(MessageRevision.id.desc())
        .limit(MAX_REVISIONS)
    )
    await session.execute(
        delete(MessageRevision).where(
            MessageRevision.message_id == message.id, MessageRevision.id.not_in(kept)
        )
    )


async def forget(session: AsyncSession, message_id: int) -> None:
    """Drop every earlier version (in the caller's transaction): for deleting the message."""
    await session.execute(delete(MessageRevision).where(MessageRevision.message_id == message_id))


async def histories(
    session: AsyncSession, message_ids: Sequence[int]
) -> dict[int, list[MessageRevision]]:
    """Each message's earlier versions, oldest first, in one statement. Only for messages
    the viewer may read; a deleted message has none (deleting forgets them)."""
    rows = await session.scalars(
        select(MessageRevision)
        .where(MessageRevision.message_id.in_(message_ids))
        .order_by(MessageRevision.message_id, MessageRevision.id)
    )
    by_message: dict[int, list[MessageRevision]] = defaultdict(list)
    for row in rows:
        by_message[row.message_id].append(row)
    return {key: by_message[key][-MAX_REVISIONS:] for key in message_ids}
