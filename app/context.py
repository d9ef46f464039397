"""The typed context every GraphQL resolver reads from."""

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from app.settings import Settings
from app.storage import LocalStorage, Storage
from db.models import Space, User
from loaders import Loaders
from loaders.permissions import StandingLoader
from resolvers.errors import Unauthenticated
from resolvers.permissions import Standing
from resolvers.rate_limits import RateLimiter


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    storage: Storage  # public media: avatars and banners
    attachments: LocalStorage  # message attachments, served only through signed URLs
    session: AsyncSession
    loaders: Loaders
    rate_limiter: RateLimiter
    client: str  # the caller's address, for per-client rate limits
    user: User | None = None
    auth_error: Unauthenticated | None = None
    connection_params: dict[str, object] = field(default_factory=dict)
    _standings: StandingLoader | None = None

    def require_user(self) -> User:
        """The signed-in user, or UNAUTHENTICATED (saying why a token was refused)."""
        if self.user is not None:
            return self.user
        if self.auth_error is not None:
            raise Unauthenticated(self.auth_error.message, **self.auth_error.extensions)
        raise Unauthenticated("Sign in to do this", reason="NO_TOKEN")

    async def standing(self, space: Space) -> Standing:
        """The signed-in user's standing in `space`, batched and cached for the request."""
        return await self._standing_loader().load(space)

    def remember_standing(self, standing: Standing) -> None:
        """Reuse a standing a resolver already worked out."""
        self._standing_loader().prime(standing.space, standing)

    def _standing_loader(self) -> StandingLoader:
        if self._standings is None:
            self._standings = StandingLoader(self.session, self.require_user().id)
        return self._standings
