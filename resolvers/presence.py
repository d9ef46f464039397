"""Presence: the status each viewer sees, status changes, and who hears of them.

A user is online while the presence store holds a live connection of theirs (see
infra/presence.py). Others see their chosen status while they are online, and OFFLINE when
they are not or chose INVISIBLE; the user themself sees the status they chose. Presence is
not transactional: changes are published at once, not through the outbox.
"""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import PresenceStatus, User
from infra.errors import BadUserInput, NotFound
from infra.events import PresenceChanged
from infra.outbox import Announcement, presence_topic, user_topic
from infra.presence import HTTP_CONNECTION, PresenceStore
from infra.publisher import Publisher
from infra.rate_limits import RateLimiter, Write
from resolvers.permissions import is_member, presence_audience

OFFLINE = PresenceStatus.OFFLINE
CHOOSABLE = frozenset(PresenceStatus) - {OFFLINE}  # OFFLINE follows from having no connection


def visible_status(chosen: PresenceStatus, online: bool) -> PresenceStatus:
    """What others see: the chosen status while online, except that INVISIBLE is OFFLINE."""
    if not online or chosen == PresenceStatus.INVISIBLE:
        return OFFLINE
    return chosen


def status_seen(user: User, online: bool, *, by_self: bool, visible: bool) -> PresenceStatus:
    """The status others see for `user` (OFFLINE unless their presence is `visible` to the
    viewer), or with `by_self` the user themself (who sees INVISIBLE as such)."""
    if by_self:
        return user.chosen_status if online else OFFLINE
    if not visible:
        return OFFLINE
    return visible_status(user.chosen_status, online)


async def set_status(
    session: AsyncSession,
    store: PresenceStore,
    publisher: Publisher,
    limiter: RateLimiter,
    user: User,
    status: PresenceStatus,
) -> User:
    """Choose ONLINE, AWAY, DND or INVISIBLE; others hear of it if what they see changes.
    Choosing the status one has changes nothing and is not counted against the rate limit."""
    if status not in CHOOSABLE:
        raise BadUserInput(
            "Choose ONLINE, AWAY, DND or INVISIBLE; OFFLINE follows from having no connection",
            field="status",
        )
    if user.chosen_status == status:
        return user
    await limiter.hit_write(Write.STATUS, user.id)
    online = user.id in await store.online([user.id])
    before = visible_status(user.chosen_status, online)
    user.chosen_status = status
    after = visible_status(user.chosen_status, online)
    if before != OFFLINE and after == OFFLINE:  # turning invisible looks like leaving
        user.last_seen_at = utcnow()
    await session.commit()
    if before != after:
        await publish(session, publisher, user.id, after)
    return user


async def heartbeat(
    session: AsyncSession, store: PresenceStore, publisher: Publisher, user: User
) -> None:
    """Keep the caller online for another TTL without a socket."""
    if await store.touch(user.id, HTTP_CONNECTION):
        await came_online(session, publisher, user.id)


async def came_online(session: AsyncSession, publisher: Publisher, user_id: int) -> None:
    """Announce a user whose first connection just appeared (unless they are INVISIBLE)."""
    chosen = await session.scalar(select(User.chosen_status).where(User.id == user_id))
    if chosen is None:
        return  # the account is gone
    status = visible_status(chosen, online=True)
    if status != OFFLINE:
        await publish(session, publisher, user_id, status)


async def went_offline(session: AsyncSession, publisher: Publisher, user_id: int) -> None:
    """Record and announce a user whose last connection just ended or expired.

    An INVISIBLE user was OFFLINE to others all along: neither lastSeenAt nor anyone hears.
    """
    seen = await session.scalar(
        update(User)
        .where(User.id == user_id, User.chosen_status != PresenceStatus.INVISIBLE)
        .values(last_seen_at=utcnow())
        .returning(User.id)
    )
    await session.commit()
    if seen is not None:
        await publish(session, publisher, user_id, OFFLINE)


async def publish(
    session: AsyncSession, publisher: Publisher, user_id: int, status: PresenceStatus
) -> None:
    """PresenceChanged to the user's spaces and to everyone sharing a chat with them that
    shares their presence (resolvers.permissions.presence)."""
    space_ids, contact_ids = await presence_audience(session, user_id)
    topics = [presence_topic(space_id) for space_id in space_ids]
    topics += [user_topic(contact_id) for contact_id in contact_ids | {user_id}]
    event = PresenceChanged(user_id=user_id, status=status.value)
    await publisher.publish_all([Announcement(topic, event) for topic in topics])


async def require_space_member(session: AsyncSession, space_id: int, user_id: int) -> None:
    """Presence of a space is for its members only; NOT_FOUND to everyone else."""
    if not await is_member(session, space_id, user_id):
        raise NotFound("Space not found")
