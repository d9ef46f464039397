"""What belongs to one user alone: their private profile fields, their notifications,
their sessions and their account."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DeviceSession, Notification, Space


def is_self(viewer_id: int | None, user_id: int) -> bool:
    """Whether the viewer is this user (who alone sees their email and chosen status)."""
    return viewer_id is not None and viewer_id == user_id


def owns_notification(notification: Notification, user_id: int) -> bool:
    """Notifications are their recipient's alone; anyone else is told NOT_FOUND."""
    return notification.user_id == user_id


def owns_session(device: DeviceSession, user_id: int) -> bool:
    """A session is its user's alone to list or end; anyone else is told NOT_FOUND."""
    return device.user_id == user_id


async def owned_space_count(session: AsyncSession, user_id: int) -> int:
    """How many spaces the user owns: an owner may not delete their account (a space is
    never left without an owner), they transfer or delete each space first."""
    count = await session.scalar(select(func.count()).where(Space.owner_id == user_id))
    return int(count or 0)
