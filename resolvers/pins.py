"""Pinned messages: pinning and unpinning, a chat's pins, and the limit on them."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.base import utcnow
from db.models import Message, User
from infra.errors import BadUserInput, Conflict
from infra.events import MessageUpdated
from infra.rate_limits import RateLimiter, Write
from resolvers.announcements import message_event
from resolvers.permissions import Permission, message_access, require_pinnable

MAX_PINS = 50  # per chat
# pg_advisory_xact_lock(PIN_LOCK_CLASS, chat) serializes the pins of one chat (see _lock_pins).
PIN_LOCK_CLASS = 0x50494E  # "PIN"
_INT4_KEYS = 2**31 - 1


async def pin_message(
    session: AsyncSession, limiter: RateLimiter, user: User, message_id: int
) -> Message:
    """Pin a message of a chat where the caller has PIN_MESSAGES (every participant of a
    DIRECT or GROUP chat has it). Pinning a pinned message changes nothing and announces
    nothing; a deleted one is BAD_USER_INPUT; the chat's MAX_PINS + 1st pin is CONFLICT."""
    message, access = await message_access(session, message_id, user.id)
    require_pinnable(message, access)
    if message.pinned_at is not None:
        return message
    await limiter.hit_write(Write.PIN, user.id)
    chat_id, now = message.chat_id, utcnow()
    await _lock_pins(session, chat_id)
    pinned = await session.execute(
        update(Message)
        .where(
            Message.id == message.id,
            Message.pinned_at.is_(None),
            Message.deleted_at.is_(None),
            _pin_count(chat_id) < MAX_PINS,
        )
        .values(pinned_at=now, pinned_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if not pinned.rowcount:  # type: ignore[attr-defined]
        await session.refresh(message)
        await session.commit()  # nothing written: ends the transaction and its lock
        if message.deleted_at is not None:  # deleted meanwhile
            raise BadUserInput("A deleted message cannot be pinned", field="id")
        if message.pinned_at is not None:  # pinned meanwhile, by a concurrent request
            return message
        raise Conflict(f"A chat has at most {MAX_PINS} pinned messages; unpin one first")
    set_committed_value(message, "pinned_at", now)
    set_committed_value(message, "pinned_by_id", user.id)
    await message_event(session, access.chat, MessageUpdated, message.id)
    await session.commit()
    return message


async def unpin_message(
    session: AsyncSession, limiter: RateLimiter, user: User, message_id: int
) -> Message:
    """Unpin, with PIN_MESSAGES as for pinning; unpinning a message that is not pinned
    changes nothing and announces nothing."""
    message, access = await message_access(session, message_id, user.id)
    access.require(Permission.PIN_MESSAGES)
    if message.pinned_at is None:
        return message
    await limiter.hit_write(Write.PIN, user.id)
    unpinned = await session.execute(
        update(Message)
        .where(Message.id == message.id, Message.pinned_at.is_not(None))
        .values(pinned_at=None, pinned_by_id=None)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(message, "pinned_at", None)
    set_committed_value(message, "pinned_by_id", None)
    if not unpinned.rowcount:  # type: ignore[attr-defined]
        await session.commit()  # nothing written
        return message  # unpinned meanwhile, by a concurrent request
    await message_event(session, access.chat, MessageUpdated, message.id)
    await session.commit()
    return message


def unpin(message: Message) -> None:
    """Clear a message's pin (in the caller's transaction): for deleting it."""
    message.pinned_at = None
    message.pinned_by_id = None


async def pinned_messages(
    session: AsyncSession, chat_ids: Sequence[int]
) -> dict[int, list[tuple[Message, User | None]]]:
    """Each chat's pinned messages, most recently pinned first, with their authors, in one
    statement. Deleted messages are never pinned (deleting unpins); the condition holds
    that whatever the rows say. The caller has established that the viewer may read the
    chats."""
    rows = await session.execute(
        select(Message, User)
        .outerjoin(User, User.id == Message.author_id)
        .where(
            Message.chat_id.in_(chat_ids),
            Message.pinned_at.is_not(None),
            Message.deleted_at.is_(None),
        )
        .order_by(Message.chat_id, Message.pinned_at.desc(), Message.id.desc())
    )
    by_chat: dict[int, list[tuple[Message, User | None]]] = defaultdict(list)
    for message, author in rows:
        by_chat[message.chat_id].append((message, author))
    return {chat_id: by_chat[chat_id][:MAX_PINS] for chat_id in chat_ids}


def _pin_count(chat_id: int) -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(Message)
        .where(Message.chat_id == chat_id, Message.pinned_at.is_not(None))
        .scalar_subquery()
    )


async def _lock_pins(session: AsyncSession, chat_id: int) -> None:
    """Make concurrent pins in one chat take turns, so that the count they check holds.

    On PostgreSQL a transaction-scoped advisory lock per chat (two pins of one chat, each
    counting 49 under READ COMMITTED, would both succeed otherwise). Not a lock on the
    chat's row: FOR UPDATE would wait for every send under way (each holds a KEY SHARE
    lock on its chat), and FOR NO KEY UPDATE would make sends skip moving the chat up
    (messages._mark_activity). Two chats whose ids agree modulo 2**31 - 1 share a lock,
    which costs only waiting. SQLite needs none: the pin's UPDATE, count included, runs
    on the one writing connection, where write transactions take turns (db.session).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(select(func.pg_advisory_xact_lock(PIN_LOCK_CLASS, chat_id % _INT4_KEYS)))
