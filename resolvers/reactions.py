"""Emoji reactions: one per user per emoji, a bounded set of emoji per message."""

import emoji as emoji_data
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Message, Reaction, User
from infra.errors import BadUserInput
from infra.events import ReactionChanged
from infra.outbox import announce, chat_topic
from infra.rate_limits import RateLimiter, Write
from resolvers.permissions import message_access, require_reactable

MAX_DISTINCT_EMOJI = 20
EMOJI_MAX = 32


def valid_emoji(raw: str) -> str:
    """A single Unicode emoji (sequences such as 👍🏽 or 👨‍👩‍👧 included), in its fully
    qualified form, so ❤ and ❤️ count as the same reaction."""
    value = raw.strip()
    if not value or len(value) > EMOJI_MAX or not emoji_data.is_emoji(value):
        raise BadUserInput("emoji must be a single Unicode emoji", field="emoji")
    return emoji_data.emojize(emoji_data.demojize(value))


async def add_reaction(
    session: AsyncSession, limiter: RateLimiter, user: User, message_id: int, raw: str
) -> Message:
    """React; doing it twice is harmless (and not counted against the rate limit)."""
    message = await _reactable(session, user, message_id, adding=True)
    value = valid_emoji(raw)
    existing = set(
        await session.scalars(
            select(Reaction.emoji).where(Reaction.message_id == message.id).distinct()
        )
    )
    if value not in existing and len(existing) >= MAX_DISTINCT_EMOJI:
        raise BadUserInput(
            f"A message has at most {MAX_DISTINCT_EMOJI} different reactions", field="emoji"
        )
    mine = await session.get(Reaction, (message.id, value, user.id))
    if mine is None:
        await limiter.hit_write(Write.REACTION, user.id)
        session.add(Reaction(message_id=message.id, emoji=value, user_id=user.id))
        _announce(session, message, value, user, added=True)
        try:
            await session.commit()
        except IntegrityError:  # the same reaction from a concurrent request
            await session.rollback()
    return message


async def remove_reaction(
    session: AsyncSession, limiter: RateLimiter, user: User, message_id: int, raw: str
) -> Message:
    """Take one's own reaction back (allowed even after losing ADD_REACTIONS); removing a
    missing one is harmless (and not counted)."""
    message = await _reactable(session, user, message_id, adding=False)
    value = valid_emoji(raw)
    if await session.get(Reaction, (message.id, value, user.id)) is None:
        return message
    await limiter.hit_write(Write.REACTION, user.id)
    removed = await session.execute(
        delete(Reaction).where(
            Reaction.message_id == message.id,
            Reaction.emoji == value,
            Reaction.user_id == user.id,
        )
    )
    if removed.rowcount:  # type: ignore[attr-defined]
        _announce(session, message, value, user, added=False)
    await session.commit()
    return message


def _announce(
    session: AsyncSession, message: Message, emoji: str, user: User, *, added: bool
) -> None:
    event = ReactionChanged(
        chat_id=message.chat_id, message_id=message.id, emoji=emoji, user_id=user.id, added=added
    )
    announce(session, chat_topic(message.chat_id), event)


async def _reactable(
    session: AsyncSession, user: User, message_id: int, *, adding: bool
) -> Message:
    message, access = await message_access(session, message_id, user.id)
    if adding:
        require_reactable(message, access)
    elif message.deleted_at is not None:
        raise BadUserInput("A deleted message takes no reactions", field="messageId")
    return message
