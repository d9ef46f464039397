"""Kicks, bans and the record of every moderation action."""

import enum
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Ban, ModerationAction, Notification, NotificationKind, SpaceMember, User
from infra.errors import BadUserInput, NotFound
from infra.events import MembershipChange
from infra.rate_limits import RateLimiter, Write
from resolvers.announcements import notify, space_membership
from resolvers.permissions import Permission, Standing, moderation_target, require

REASON_MAX = 512


class Action(enum.StrEnum):
    KICK = "KICK"
    BAN = "BAN"
    UNBAN = "UNBAN"
    ROLE_ASSIGNED = "ROLE_ASSIGNED"
    ROLE_REMOVED = "ROLE_REMOVED"


async def record(
    session: AsyncSession,
    actor: Standing,
    target_id: int,
    action: Action,
    detail: str | None,
    notification: NotificationKind | None,
) -> None:
    """Add the audit row (and the target's notification) to the current transaction."""
    session.add(
        ModerationAction(
            space_id=actor.space.id,
            actor_id=actor.user_id,
            target_user_id=target_id,
            action=action.value,
            detail=detail,
        )
    )
    if notification is not None:
        await notify(
            session,
            [
                Notification(
                    user_id=target_id,
                    kind=notification,
                    actor_id=actor.user_id,
                    space_id=actor.space.id,
                )
            ],
        )


async def kick_member(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    space_id: int,
    target_id: int,
    reason: str | None,
) -> bool:
    actor = await require(session, space_id, user.id, Permission.KICK_MEMBERS)
    target = await moderation_target(session, actor, target_id, Permission.KICK_MEMBERS)
    if target.member is None:
        raise NotFound("That user is not a member of this space")
    await limiter.hit_write(Write.MODERATION, user.id)
    await _remove_member(session, target.member)
    await record(session, actor, target_id, Action.KICK, _reason(reason), NotificationKind.KICKED)
    space_membership(session, space_id, target_id, MembershipChange.KICKED)
    await session.commit()
    return True


async def ban_member(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    space_id: int,
    target_id: int,
    reason: str | None,
    expires_at: datetime | None,
) -> Ban:
    """Ban a member (removing them) or a not-yet-member; banning again updates the ban."""
    actor = await require(session, space_id, user.id, Permission.BAN_MEMBERS)
    if await session.get(User, target_id) is None:
        raise NotFound("User not found")
    target = await moderation_target(session, actor, target_id, Permission.BAN_MEMBERS)
    if expires_at is not None and expires_at <= utcnow():
        raise BadUserInput("expiresAt must be in the future", field="expiresAt")
    await limiter.hit_write(Write.MODERATION, user.id)
    if target.member is not None:
        await _remove_member(session, target.member)
    ban = await session.scalar(
        select(Ban).where(Ban.space_id == space_id, Ban.user_id == target_id)
    )
    if ban is None:
        ban = Ban(space_id=space_id, user_id=target_id, banned_by_id=user.id)
        session.add(ban)
    ban.reason, ban.expires_at, ban.banned_by_id = _reason(reason), expires_at, user.id
    ban.created_at = utcnow()
    await record(session, actor, target_id, Action.BAN, ban.reason, NotificationKind.BANNED)
    space_membership(session, space_id, target_id, MembershipChange.BANNED)
    await session.commit()
    return ban


async def unban_member(
    session: AsyncSession, limiter: RateLimiter, user: User, space_id: int, target_id: int
) -> bool:
    """Lift a ban; False (and not counted against the rate limit) when there was none."""
    actor = await require(session, space_id, user.id, Permission.BAN_MEMBERS)
    banned = Ban.space_id == space_id, Ban.user_id == target_id
    if await session.scalar(select(Ban.id).where(*banned)) is None:
        return False
    await limiter.hit_write(Write.MODERATION, user.id)
    lifted = await session.execute(delete(Ban).where(*banned))
    if lifted.rowcount == 0:  # type: ignore[attr-defined]
        return False  # lifted by someone else meanwhile
    await record(session, actor, target_id, Action.UNBAN, None, None)
    await session.commit()
    return True


async def active_bans(session: AsyncSession, user: User, space_id: int) -> list[Ban]:
    await require(session, space_id, user.id, Permission.BAN_MEMBERS)
    statement = (
        select(Ban)
        .where(Ban.space_id == space_id, (Ban.expires_at.is_(None)) | (Ban.expires_at > utcnow()))
        .order_by(Ban.created_at.desc(), Ban.id.desc())
    )
    return list(await session.scalars(statement))


async def _remove_member(session: AsyncSession, member: SpaceMember) -> None:
    await session.execute(delete(SpaceMember).where(SpaceMember.id == member.id))


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > REASON_MAX:
        raise BadUserInput(f"Reason must be at most {REASON_MAX} characters", field="reason")
    return text or None
