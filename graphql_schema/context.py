"""The typed context every GraphQL resolver reads from."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from db.models import Space, User
from infra.broadcast import SubscriberCutOff, Subscription
from infra.errors import Unauthenticated
from infra.presence import PresenceStore
from infra.publisher import Publisher
from infra.rate_limits import RateLimiter
from infra.revocations import EndedSessions
from infra.settings import Settings
from infra.sockets import socket_in
from infra.storage import LocalStorage, Storage
from loaders import Loaders
from loaders.event_batch import EventBatch
from loaders.standings import StandingLoader
from resolvers.permissions import Standing

logger = logging.getLogger(__name__)


@dataclass
class Unit:
    """The session and loaders that one request, or one subscription event, works with."""

    session: AsyncSession
    loaders: Loaders
    standings: StandingLoader | None = None


# Set while one subscription event is resolved: that event's own unit.
_event_unit: ContextVar[Unit | None] = ContextVar("event_unit", default=None)


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    storage: Storage  # public media: avatars and banners
    attachments: LocalStorage  # message attachments, served only through signed URLs
    sessionmaker: async_sessionmaker[AsyncSession]
    rate_limiter: RateLimiter
    publisher: Publisher
    presence: PresenceStore
    event_batch: EventBatch  # process-wide: what the subscriptions one event wakes share
    client: str  # the caller's address, for per-client rate limits
    ended_sessions: EndedSessions  # process-wide: sessions whose access tokens are refused
    unit: Unit | None = None  # an HTTP request's; a socket has one per event instead
    user: User | None = None
    session_id: int | None = None  # the signed-in device (its access token's `sid`)
    auth_error: Unauthenticated | None = None
    connection_params: dict[str, object] = field(default_factory=dict)

    @property
    def current_unit(self) -> Unit:
        unit = _event_unit.get() or self.unit
        if unit is None:
            raise RuntimeError("no database unit: use event_scope() for subscription events")
        return unit

    @property
    def public_base_url(self) -> str:
        """Where this caller reaches the server (Settings.base_url_for), without a slash."""
        url = self.request.base_url
        scheme = {"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)
        return self.settings.base_url_for(str(url.replace(scheme=scheme)))

    @property
    def session(self) -> AsyncSession:
        return self.current_unit.session

    @property
    def loaders(self) -> Loaders:
        return self.current_unit.loaders

    @asynccontextmanager
    async def event_scope(self) -> AsyncIterator[None]:
        """A unit of its own (session and loaders) for one subscription event, or one query
        or mutation sent over a socket: sockets live long, and rows and rights must be read
        anew each time. What its transactions committed is published when it ends, whatever
        ran inside it (the HTTP request's unit is released by the view, app.graphql_app)."""
        async with self.sessionmaker() as session:
            viewer = self.user.id if self.user else None
            loaders = Loaders(session, viewer, presence=self.presence)
            token = _event_unit.set(Unit(session, loaders))
            try:
                yield
            finally:
                _event_unit.reset(token)
                await self.publisher.publish_committed(session)

    @asynccontextmanager
    async def listen(self, *topics: str) -> AsyncIterator[Subscription]:
        """Events published on any of `topics` (see infra.outbox) from now on, in order.

        A socket whose subscriber is cut off (it fell too far behind, or Redis was away) is
        closed (1013, see infra.sockets): its task may be stuck sending to a client that
        stopped reading. The client resumes with `after`; the subscription ends with the
        socket, never as if complete.
        """
        channels = [self.publisher.channel(topic) for topic in topics]
        socket = socket_in(self.request.scope)
        on_cut_off = socket.missed_events if socket is not None else None
        async with self.publisher.broadcast.subscribe(*channels, on_cut_off=on_cut_off) as events:
            # Every event published from here on reaches `events`: tests wait for this line
            # (the protocols acknowledge no subscription) before they publish.
            logger.debug("listening on %s", " ".join(topics))
            try:
                yield events
            except SubscriberCutOff:
                if socket is None:
                    raise
                await asyncio.Event().wait()  # until the socket's end cancels this task

    def require_user(self) -> User:
        """The signed-in user, or UNAUTHENTICATED (saying why a token was refused)."""
        if self.user is not None:
            return self.user
        if self.auth_error is not None:
            raise Unauthenticated(self.auth_error.message, **self.auth_error.extensions)
        raise Unauthenticated("Sign in to do this", reason="NO_TOKEN")

    async def standing(self, space: Space) -> Standing:
        """The signed-in user's standing in `space`, batched and cached for the unit."""
        return await self._standing_loader().load(space)

    def remember_standing(self, standing: Standing) -> None:
        """Reuse a standing a resolver already worked out."""
        self._standing_loader().prime(standing.space, standing)

    def _standing_loader(self) -> StandingLoader:
        unit = self.current_unit
        if unit.standings is None:
            unit.standings = StandingLoader(unit.session, self.require_user().id)
        return unit.standings
