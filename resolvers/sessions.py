"""A user's sessions (signed-in devices): listing and ending them."""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import DeviceSession
from infra.errors import NotFound
from infra.revocations import EndedSessions
from infra.settings import Settings
from resolvers import tokens
from resolvers.permissions.personal import owns_session


async def my_sessions(
    session: AsyncSession, settings: Settings, user_id: int
) -> Sequence[DeviceSession]:
    """The user's sessions still signed in, newest first: not ended, and refreshed within
    the refresh-token lifetime (an older one's last token has expired)."""
    alive_since = utcnow() - timedelta(seconds=settings.refresh_token_ttl_seconds)
    rows = await session.scalars(
        select(DeviceSession)
        .where(
            DeviceSession.user_id == user_id,
            DeviceSession.ended_at.is_(None),
            DeviceSession.last_used_at > alive_since,
        )
        .order_by(DeviceSession.created_at.desc(), DeviceSession.id.desc())
    )
    return rows.all()


async def revoke_session(
    session: AsyncSession, ended: EndedSessions, user_id: int, session_id: int
) -> bool:
    """End one of the user's sessions: its refresh token, access tokens and sockets stop
    working at once, in every process. Another user's session (or none) is NOT_FOUND."""
    if await find_own(session, user_id, session_id) is None:
        raise NotFound("Session not found")
    ended_ids = await tokens.end_sessions(session, DeviceSession.id == session_id)
    await session.commit()
    await ended.end(ended_ids)
    return True


async def find_own(session: AsyncSession, user_id: int, session_id: int) -> DeviceSession | None:
    """One of the user's sessions, ended or not (`node`); None for anyone else's."""
    device = await session.get(DeviceSession, session_id)
    return device if device is not None and owns_session(device, user_id) else None
