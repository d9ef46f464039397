"""The one identity function: a bearer token in, a user out (HTTP and WebSocket alike)."""

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from infra.errors import Unauthenticated
from infra.settings import Settings
from resolvers.tokens import decode_access_token


def token_from_credential(credential: str) -> str:
    """Accept `Bearer <token>` (header style) or the raw token (connection_init style)."""
    scheme, _, rest = credential.strip().partition(" ")
    if not rest:
        return scheme
    if scheme.lower() != "bearer":
        raise Unauthenticated("Authorization must use the Bearer scheme", reason="TOKEN_INVALID")
    return rest.strip()


async def authenticate(session: AsyncSession, settings: Settings, credential: str) -> User:
    """The user a credential belongs to; Unauthenticated when it is invalid or expired."""
    user_id = decode_access_token(settings, token_from_credential(credential))
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthenticated("The account for this token no longer exists", reason="TOKEN_INVALID")
    return user
