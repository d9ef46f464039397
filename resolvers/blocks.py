"""Blocking and unblocking users, and the list of those one has blocked.

What a block takes away is decided in resolvers/permissions/blocks.py.
"""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User, UserBlock
from infra.errors import BadUserInput, NotFound
from resolvers.permissions import is_self


async def _target(session: AsyncSession, user: User, other_id: int) -> User:
    if is_self(user.id, other_id):
        raise BadUserInput("You cannot block yourself", field="userId")
    other = await session.get(User, other_id)
    if other is None:
        raise NotFound("User not found")
    return other


async def block_user(session: AsyncSession, user: User, other_id: int) -> User:
    """Block `other_id`; blocking again changes nothing."""
    other = await _target(session, user, other_id)
    if await session.get(UserBlock, (user.id, other.id)) is not None:
        return other
    session.add(UserBlock(blocker_id=user.id, blocked_id=other.id))
    try:
        await session.commit()
    except IntegrityError:  # the same block from another request at the same moment
        await session.rollback()
        other = await session.get_one(User, other_id)
    return other


async def unblock_user(session: AsyncSession, user: User, other_id: int) -> User:
    """Lift a block; unblocking someone not blocked changes nothing."""
    other = await _target(session, user, other_id)
    await session.execute(
        delete(UserBlock).where(UserBlock.blocker_id == user.id, UserBlock.blocked_id == other.id)
    )
    await session.commit()
    return other


async def blocked_users(session: AsyncSession, user: User) -> list[User]:
    """Whom the caller has blocked, most recently blocked first."""
    return list(
        await session.scalars(
            select(User)
            .join(UserBlock, UserBlock.blocked_id == User.id)
            .where(UserBlock.blocker_id == user.id)
            .order_by(UserBlock.created_at.desc(), User.id.desc())
        )
    )
