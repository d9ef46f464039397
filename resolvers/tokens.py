"""Access tokens (PyJWT, HS256) and rotating refresh tokens with reuse detection.

A sign-in starts a session (db.models.DeviceSession): one refresh-token family, whose access
tokens carry the session's id as `sid`. Ending it revokes the family; the caller then
announces the ended ids (infra.revocations) so that their access tokens stop working too.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import DeviceSession, RefreshToken
from db.models.users import USER_AGENT_MAX_LENGTH
from infra.errors import Unauthenticated
from infra.settings import Settings

ALGORITHM = "HS256"
ISSUER = "thespace"
AUDIENCE = "thespace-api"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "iss", "aud"]
LAST_USED_PRECISION = timedelta(minutes=1)  # lastUsedAt is written at most this often


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: int | None  # None in tokens issued before sessions had ids


def issue_access_token(settings: Settings, user_id: int, session_id: int | None = None) -> str:
    """An access token of the session `session_id`; None only for tokens minted outside a
    sign-in (the benchmark's seeded users), which nothing but their expiry ends."""
    now = utcnow()
    claims: dict[str, object] = {
        "sub": str(user_id),
        # To the microsecond (a NumericDate may have a fraction): app.auth tells a token of
        # a deleted account from one of a new account that SQLite gave the same id.
        "iat": now.timestamp(),
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    if session_id is not None:
        claims["sid"] = session_id
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Whom and which session the token was issued to; Unauthenticated when it is not valid
    now (whether its session ended is the caller's to check)."""
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
        sid = claims.get("sid")
        if sid is not None and (type(sid) is not int or sid < 1):
            raise ValueError("sid")
        return AccessClaims(user_id=int(claims["sub"]), session_id=sid)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("Access token has expired", reason="TOKEN_EXPIRED") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthenticated("Access token is invalid", reason="TOKEN_INVALID") from exc


def seconds_left(token: str) -> float:
    """How long a token that was already verified stays valid."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return max(0.0, float(claims["exp"]) - utcnow().timestamp())


def issued_before(token: str, moment: datetime) -> bool:
    """Whether a token that was already verified was issued before `moment` (to the
    microsecond; to the second for a token whose `iat` has no fraction)."""
    issued = jwt.decode(token, options={"verify_signature": False})["iat"]
    if isinstance(issued, int):
        moment = moment.replace(microsecond=0)
    return datetime.fromtimestamp(issued, UTC) < moment


@dataclass(frozen=True)
class RotatedToken:
    user_id: int
    session_id: int
    refresh_token: str


@dataclass(frozen=True)
class StartedSession:
    session_id: int
    refresh_token: str


class SessionReused(Unauthenticated):
    """A rotated refresh token came back: its session was ended (and that committed)."""

    def __init__(self, session_ids: list[int]) -> None:
        super().__init__("Refresh token was already used", reason="REFRESH_REUSED")
        self.session_ids = session_ids


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def start_session(
    session: AsyncSession, settings: Settings, user_id: int, user_agent: str | None
) -> StartedSession:
    """A new session (a device signing in) and its first refresh token."""
    trimmed = (user_agent or "").strip()[:USER_AGENT_MAX_LENGTH]
    device = DeviceSession(user_id=user_id, family_id=str(uuid.uuid4()), user_agent=trimmed or None)
    session.add(device)
    await session.flush()
    raw = await issue_refresh_token(session, settings, user_id, device.family_id)
    return StartedSession(session_id=device.id, refresh_token=raw)


async def issue_refresh_token(
    session: AsyncSession, settings: Settings, user_id: int, family_id: str
) -> str:
    """A new refresh token of the family (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=_digest(raw),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.flush()
    return raw


async def rotate_refresh_token(session: AsyncSession, settings: Settings, raw: str) -> RotatedToken:
    """Spend `raw` for a new token of the same family.

    Presenting a token that was already rotated means it was copied: the whole family is
    revoked (and that revocation committed) before the caller is refused.
    """
    invalid = Unauthenticated("Refresh token is invalid or expired", reason="REFRESH_INVALID")
    token = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == _digest(raw))
    )
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        raise invalid
    spent = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token.id,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(rotated_at=utcnow())
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        ended = await end_sessions(session, DeviceSession.family_id == token.family_id)
        await session.commit()
        raise SessionReused(ended)
    device = await session.scalar(
        select(DeviceSession).where(DeviceSession.family_id == token.family_id)
    )
    if device is None or device.ended_at is not None:
        raise invalid
    now = utcnow()
    if device.last_used_at <= now - LAST_USED_PRECISION:
        device.last_used_at = now
    new_raw = await issue_refresh_token(session, settings, token.user_id, token.family_id)
    return RotatedToken(user_id=token.user_id, session_id=device.id, refresh_token=new_raw)


async def end_sessions(session: AsyncSession, *where: ColumnElement[bool]) -> list[int]:
    """End the open sessions matching `where` and revoke their refresh tokens; their ids,
    for the caller to announce once committed."""
    now = utcnow()
    ended = (
        await session.execute(
            update(DeviceSession)
            .where(*where, DeviceSession.ended_at.is_(None))
            .values(ended_at=now)
            .returning(DeviceSession.id, DeviceSession.family_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if ended:
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.family_id.in_([row.family_id for row in ended]),
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    return [row.id for row in ended]


async def revoke_refresh_token(session: AsyncSession, raw: str) -> list[int]:
    """End the session `raw` belongs to; its id, or none when unknown or already ended."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == _digest(raw))
    )
    if family_id is None:
        return []
    return await end_sessions(session, DeviceSession.family_id == family_id)


async def recently_ended(session: AsyncSession, within: timedelta) -> list[int]:
    """The ids of the sessions ended within `within` (whose access tokens may still live)."""
    cutoff = utcnow() - within
    return list(
        await session.scalars(select(DeviceSession.id).where(DeviceSession.ended_at > cutoff))
    )
