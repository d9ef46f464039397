"""The one identity function: a bearer token in, a user out (HTTP and WebSocket alike)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from infra.errors import Unauthenticated
from infra.revocations import EndedSessions
from infra.settings import Settings
from resolvers.tokens import AccessClaims, decode_access_token, issued_before

_CREDENTIAL_KEYS = frozenset({"authorization", "token"})


def connection_credential(params: Mapping[str, object]) -> object:
    """The credential in a connection_init payload (None: none), whatever its type: under
    `authorization` or `token` in any case (GraphiQL sends `Authorization`), at the top
    level or else in a nested `headers` object, as some clients send their HTTP headers."""
    found = _credential_in(params)
    headers = params.get("headers")
    if found is None and isinstance(headers, Mapping):
        found = _credential_in(headers)
    return found


def _credential_in(params: Mapping[Any, object]) -> object:
    for key, value in params.items():
        if isinstance(key, str) and key.lower() in _CREDENTIAL_KEYS and value not in (None, ""):
            return value
    return None


def token_from_credential(credential: str) -> str:
    """Accept `Bearer <token>` (header style) or the raw token (connection_init style)."""
    scheme, _, rest = credential.strip().partition(" ")
    if not rest:
        return scheme
    if scheme.lower() != "bearer":
        raise Unauthenticated("Authorization must use the Bearer scheme", reason="TOKEN_INVALID")
    return rest.strip()


async def authenticate(
    session: AsyncSession, settings: Settings, ended: EndedSessions, credential: str
) -> tuple[User, AccessClaims]:
    """The user a credential belongs to, and its claims; Unauthenticated when it is invalid,
    expired or of a session that ended (known without a statement: infra.revocations)."""
    token = token_from_credential(credential)
    claims = decode_access_token(settings, token)
    if claims.session_id is not None and ended.is_ended(claims.session_id):
        raise Unauthenticated("This session has ended; sign in again", reason="SESSION_ENDED")
    user = await session.get(User, claims.user_id)
    # A token older than its account was issued to a deleted one whose id SQLite gave again
    # (it reuses the highest id once its row is gone).
    if user is None or issued_before(token, user.created_at):
        raise Unauthenticated("The account for this token no longer exists", reason="TOKEN_INVALID")
    return user, claims
