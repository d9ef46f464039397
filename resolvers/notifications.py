"""A user's notifications: listing, counting and marking read."""

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Notification, User
from infra.errors import NotFound
from resolvers.pagination import Page, PageRequest
from resolvers.permissions import owns_notification


async def notifications(
    session: AsyncSession, user: User, unread_only: bool, page: PageRequest
) -> Page[Notification]:
    """Newest first."""
    statement = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    if (position := page.position(int)) is not None:
        statement = statement.where(Notification.id < position[0])
    statement = statement.order_by(Notification.id.desc()).limit(page.limit + 1)
    rows = list(await session.scalars(statement))
    return Page.forward(rows, page, lambda notification: (notification.id,))


async def unread_count(session: AsyncSession, user: User) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return count or 0


async def find_own(session: AsyncSession, user: User, notification_id: int) -> Notification | None:
    """The notification if it is the caller's; else None."""
    notification = await session.get(Notification, notification_id)
    if notification is None or not owns_notification(notification, user.id):
        return None
    return notification


async def mark_read(session: AsyncSession, user: User, notification_id: int) -> Notification:
    notification = await find_own(session, user, notification_id)
    if notification is None:
        raise NotFound("Notification not found")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.commit()
    return notification


async def mark_all_read(session: AsyncSession, user: User) -> int:
    """How many were unread."""
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
