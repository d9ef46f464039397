"""The typed context every GraphQL resolver reads from."""

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from app.settings import Settings
from app.storage import Storage
from db.models import User
from loaders import Loaders
from resolvers.errors import Unauthenticated
from resolvers.permissions import Standing
from resolvers.rate_limits import RateLimiter


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    storage: Storage
    session: AsyncSession
    loaders: Loaders
    rate_limiter: RateLimiter
    client: str  # the caller's address, for per-client rate limits
    user: User | None = None
    auth_error: Unauthenticated | None = None
    connection_params: dict[str, object] = field(default_factory=dict)
    # The caller's standing per (space id, user id), worked out once per request.
    standings: dict[tuple[int, int], Standing] = field(default_factory=dict)

    def require_user(self) -> User:
        """The signed-in user, or UNAUTHENTICATED (saying why a token was refused)."""
        if self.user is not None:
            return self.user
        if self.auth_error is not None:
            raise Unauthenticated(self.auth_error.message, **self.auth_error.extensions)
        raise Unauthenticated("Sign in to do this", reason="NO_TOKEN")
