"""Access tokens (PyJWT, HS256) and rotating refresh tokens with reuse detection."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import RefreshToken
from infra.errors import Unauthenticated
from infra.settings import Settings

ALGORITHM = "HS256"
ISSUER = "thespace"
AUDIENCE = "thespace-api"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "iss", "aud"]


def issue_access_token(settings: Settings, user_id: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        # To the microsecond (a NumericDate may have a fraction): app.auth tells a token of
        # a deleted account from one of a new account that SQLite gave the same id.
        "iat": now.timestamp(),
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> int:
    """The user id the token was issued to; Unauthenticated when it is not valid now."""
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
        return int(claims["sub"])
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
    refresh_token: str


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def issue_refresh_token(
    session: AsyncSession, settings: Settings, user_id: int, family_id: str | None = None
) -> str:
    """A new refresh token (only its hash is stored); a new family unless one is given."""
    raw = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id or str(uuid.uuid4()),
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
        await revoke_family(session, token.family_id)
        await session.commit()
        raise Unauthenticated("Refresh token was already used", reason="REFRESH_REUSED")
    new_raw = await issue_refresh_token(session, settings, token.user_id, token.family_id)
    return RotatedToken(user_id=token.user_id, refresh_token=new_raw)


async def revoke_family(session: AsyncSession, family_id: str) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_refresh_token(session: AsyncSession, raw: str) -> bool:
    """End the session `raw` belongs to; False when it was unknown or already ended."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == _digest(raw))
    )
    if family_id is None:
        return False
    return await revoke_family(session, family_id) > 0
