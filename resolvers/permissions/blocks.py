"""Blocking: what a user who is blocked may no longer do to, or see of, the blocker.

A blocked user cannot open a DIRECT chat with the blocker, send into theirs, or add the
blocker to a group; their mentions and replies notify the blocker of nothing, their typing in
a DM does not reach them, and the blocker's presence shows OFFLINE to them. Their messages in
shared spaces and groups are still delivered (hiding them would break the conversation). The
refusals say no more than a refusal for any other reason would: the blocked user is not told.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatKind, ChatParticipant, UserBlock
from infra.errors import Forbidden
from resolvers.permissions.flags import Permission


async def blockers_among(session: AsyncSession, user_ids: Iterable[int], user_id: int) -> set[int]:
    """Which of `user_ids` have blocked `user_id` (one statement)."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(
        await session.scalars(
            select(UserBlock.blocker_id).where(
                UserBlock.blocked_id == user_id, UserBlock.blocker_id.in_(ids)
            )
        )
    )


async def blocked_among(
    session: AsyncSession, blocker_id: int, user_ids: Iterable[int]
) -> set[int]:
    """Which of `user_ids` `blocker_id` has blocked (one statement)."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(
        await session.scalars(
            select(UserBlock.blocked_id).where(
                UserBlock.blocker_id == blocker_id, UserBlock.blocked_id.in_(ids)
            )
        )
    )


def _refusal() -> Forbidden:
    """The refusal a participant without SEND_MESSAGES would get: nothing about blocking."""
    return Forbidden(
        f"Missing permission {Permission.SEND_MESSAGES.name}",
        permission=Permission.SEND_MESSAGES.name,
    )


async def require_not_blocked_by(
    session: AsyncSession, user_ids: Iterable[int], user_id: int
) -> None:
    """FORBIDDEN if any of `user_ids` has blocked `user_id` (opening a DM with them, adding
    them to a group)."""
    if await blockers_among(session, user_ids, user_id):
        raise _refusal()


async def require_direct_sendable(session: AsyncSession, chat: Chat, user_id: int) -> None:
    """FORBIDDEN if `chat` is a DIRECT chat whose other participant blocked `user_id`;
    channels and groups are not affected."""
    if chat.kind is not ChatKind.DIRECT:
        return
    blocker = await session.scalar(
        select(UserBlock.blocker_id)
        .join(ChatParticipant, ChatParticipant.user_id == UserBlock.blocker_id)
        .where(ChatParticipant.chat_id == chat.id, UserBlock.blocked_id == user_id)
        .limit(1)
    )
    if blocker is not None:
        raise _refusal()


def hides_blocked_typing(chat: Chat) -> bool:
    """Whether a blocked user's typing in `chat` is kept from the blocker: in a DIRECT chat
    only (in a group or channel it goes with messages the blocker still receives)."""
    return chat.kind is ChatKind.DIRECT
