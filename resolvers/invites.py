"""Invites to a space: made by those with CREATE_INVITES, spent by joining (resolvers.spaces)."""

import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Invite, User
from infra.errors import BadUserInput, NotFound
from infra.rate_limits import RateLimiter, Write
from resolvers.permissions import Permission, require

INVITE_MAX_USES = 10_000
INVITE_MAX_LIFETIME = timedelta(days=30)
INVITE_MIN_LIFETIME = timedelta(minutes=1)


async def create_invite(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    space_id: int,
    max_uses: int | None,
    expires_in_seconds: int | None,
) -> Invite:
    await require(session, space_id, user.id, Permission.CREATE_INVITES)
    if max_uses is not None and not 1 <= max_uses <= INVITE_MAX_USES:
        raise BadUserInput(f"maxUses must be between 1 and {INVITE_MAX_USES}", field="maxUses")
    expires_at = None
    if expires_in_seconds is not None:
        lifetime = timedelta(seconds=expires_in_seconds)
        if not INVITE_MIN_LIFETIME <= lifetime <= INVITE_MAX_LIFETIME:
            raise BadUserInput(
                "expiresInSeconds must be between 60 seconds and 30 days",
                field="expiresInSeconds",
            )
        expires_at = utcnow() + lifetime
    await limiter.hit_write(Write.INVITE, user.id)
    invite = Invite(
        code=secrets.token_urlsafe(12),  # 96 random bits
        space_id=space_id,
        creator_id=user.id,
        max_uses=max_uses,
        expires_at=expires_at,
    )
    session.add(invite)
    await session.commit()
    return invite


async def live_invite(session: AsyncSession, code: str) -> Invite:
    """An unexpired invite; whether a use is left is settled when it is spent."""
    invite = await session.scalar(select(Invite).where(Invite.code == code.strip()))
    if invite is None or (invite.expires_at is not None and invite.expires_at <= utcnow()):
        raise NotFound("Invite not found or no longer valid")
    return invite


async def spend(session: AsyncSession, invite: Invite) -> None:
    """Use one of the invite's uses, or NOT_FOUND if none is left (settled by the UPDATE, so
    concurrent joins never spend more than there are)."""
    spent = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("Invite not found or no longer valid")
