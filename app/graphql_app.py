"""The Strawberry ASGI app: one database session and one context per HTTP request."""

import asyncio
import contextlib
from datetime import timedelta
from typing import cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.types.unset import UNSET, UnsetType

from app.auth import authenticate, token_from_credential
from app.context import Context, Unit
from app.services import Services
from loaders import Loaders
from resolvers.errors import Unauthenticated
from resolvers.tokens import seconds_left

CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, services: Services) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            multipart_uploads_enabled=True,
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await super().__call__(scope, receive, send)
            finally:  # the socket is gone: its expiry timer has nothing left to close
                timer = scope.get("state", {}).get("expiry_timer")
                if timer is not None:
                    timer.cancel()
            return
        # The session outlives the response body only long enough to be closed (rolled
        # back if a resolver left it mid-transaction), whatever happened inside.
        async with self.services.sessionmaker() as session:
            scope.setdefault("state", {})["db_session"] = session
            await super().__call__(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context(
            request=request,
            response=response,
            settings=self.services.settings,
            storage=self.services.storage,
            attachments=self.services.attachments,
            sessionmaker=self.services.sessionmaker,
            rate_limiter=self.services.rate_limiter,
            events=self.services.events,
            client=request.client.host if request.client else "unknown",
        )
        if isinstance(request, WebSocket):
            return context  # identified in on_ws_connect; each event gets its own unit
        session = request.state.db_session
        credential = request.headers.get("authorization")
        if credential:
            try:
                context.user = await authenticate(session, self.services.settings, credential)
            except Unauthenticated as error:
                context.auth_error = error
        context.unit = Unit(session, Loaders(session, context.user.id if context.user else None))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Identify the socket from connection_init, like an HTTP request (4403 if not)."""
        params = context.connection_params or {}
        credential = params.get("authorization") or params.get("token")
        if not isinstance(credential, str) or not credential:
            raise ConnectionRejectionError({"reason": "connection_init needs a token"})
        async with self.services.sessionmaker() as session:
            try:
                context.user = await authenticate(session, self.services.settings, credential)
            except Unauthenticated as error:
                raise ConnectionRejectionError({"reason": error.message}) from error
        if isinstance(context.request, WebSocket):
            _close_when_expired(context.request, seconds_left(token_from_credential(credential)))
        return cast(UnsetType, UNSET)


def _close_when_expired(websocket: WebSocket, delay: float) -> None:
    """End the socket when its access token expires; the client reconnects with a new one."""

    async def close() -> None:
        with contextlib.suppress(RuntimeError, OSError):  # already closed
            await websocket.close(code=4403, reason="Access token expired")

    timer = asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(close()))
    websocket.state.expiry_timer = timer
