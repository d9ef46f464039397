"""The Strawberry ASGI app: one database session and one context per HTTP request."""

import asyncio
from datetime import timedelta
from typing import cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from app import ide, request_parsing
from app.auth import authenticate, connection_credential, token_from_credential
from app.media_types import GRAPHQL_RESPONSE, response_media_type
from app.services import Services
from app.socket_protocols import LegacyWSHandler, TransportWSHandler
from db.models import User
from db.session import read_without_transaction
from graphql_schema.context import Context, Unit
from infra.errors import DomainError, ErrorCode, RateLimited, Unauthenticated
from infra.frames import json_bytes
from infra.presence import SocketPresence
from infra.sockets import (
    FORBIDDEN,
    INVALID_TOKEN_REASON,
    SESSION_ENDED_REASON,
    SOCKETS_RATE_LIMITED,
    TOKEN_EXPIRED_REASON,
    Socket,
    SocketRefused,
    socket_in,
)
from loaders import Loaders
from resolvers.tokens import AccessClaims, seconds_left


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, schema: BaseSchema, services: Services) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            multipart_uploads_enabled=True,
            connection_init_wait_timeout=timedelta(
                seconds=settings.connection_init_timeout_seconds
            ),
            max_subscriptions_per_connection=None,  # the handlers' own, with an error code
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await super().__call__(scope, receive, send)
            except asyncio.CancelledError:
                socket = socket_in(scope)
                if socket is None or not socket.cut_off:
                    raise
                # Cut off by Socket.close: returning lets the server drop the connection.
                socket.task.uncancel()  # (this task)
            finally:
                if (socket := socket_in(scope)) is not None:
                    await self._socket_ended(socket)
            return
        # The session outlives the response body only long enough to be closed (rolled
        # back if a resolver left it mid-transaction), whatever happened inside.
        async with self.services.sessionmaker() as session:
            scope.setdefault("state", {})["db_session"] = session
            await super().__call__(scope, receive, send)

    async def _socket_ended(self, socket: Socket) -> None:
        if socket.expiry_timer is not None:  # nothing left for it to close
            socket.expiry_timer.cancel()
        self.services.sockets.discard(socket)  # first: its user may open another one at once
        if socket.presence is not None:  # it no longer keeps its user online
            await self.services.presence.socket_closed(socket.presence)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page, which loads its assets from this server (Strawberry's, from a CDN)."""
        return ide.page()

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """GraphiQL for a browser asking for a page (Strawberry's also answered `*/*`, so a
        hashed query over GET, which has no `query`, got the page instead of its data)."""
        return (
            request.method == "GET"
            and not {"query", "extensions"} & request.query_params.keys()
            and "text/html" in request.headers.get("accept", "")
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept", ""))
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """In `application/graphql-response+json`, a request that never ran (it did not
        parse, validate or fit its variables) has no `data` entry, and answers HTTP 400."""
        response = await super().process_result(request, result)
        media_type = response_media_type(request.headers.get("accept", ""))
        if media_type == GRAPHQL_RESPONSE and _never_ran(result):
            response.pop("data", None)
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """Strawberry's response with the body encoded by orjson (WebSocket frames, which
        go through `encode_json`, are left as they are: they must stay text), in the media
        type the client asked for."""
        media_type = sub_response.media_type or "application/json"
        response = Response(json_bytes(response_data), media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        elif media_type == GRAPHQL_RESPONSE and "data" not in response_data:
            response.status_code = 400
        return response

    def decode_json(self, data: str | bytes) -> object:
        return request_parsing.decode_json(data)

    def parse_json(self, data: str | bytes) -> object:
        return request_parsing.request_object(super().parse_json(data), "A GraphQL request")

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        try:
            form = await request.get_form_data()
        except ValueError as exc:
            raise HTTPException(400, "Unable to parse the multipart body") from exc
        operations, files_map = (form.form.get(name, "{}") for name in ("operations", "map"))
        return request_parsing.with_files(  # type: ignore[no-any-return]
            super().parse_json(operations) if isinstance(operations, str | bytes) else operations,
            super().parse_json(files_map) if isinstance(files_map, str | bytes) else files_map,
            form.files,
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        """Run the request's operation(s), then publish what the request's unit committed,
        before the response goes: a client that acts on the response never finds its
        subscribers a step behind. (A socket's operations and events are released by
        their own unit, Context.event_scope.)"""
        try:
            if isinstance(request_data, GraphQLRequestData):
                try:
                    request_data.query = await self.services.persisted_queries.query(
                        request_data.query, request_data.extensions
                    )
                except DomainError as error:
                    return ExecutionResult(data=None, errors=[_error(error)])
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        finally:
            if context.unit is not None:
                await context.publisher.publish_committed(context.unit.session)

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
            publisher=self.services.publisher,
            presence=self.services.presence.store,
            event_batch=self.services.event_batch,
            ended_sessions=self.services.ended_sessions,
            client=request.client.host if request.client else "unknown",
        )
        if isinstance(request, WebSocket):
            self.services.sockets.open(request)  # discarded when __call__ ends
            return context  # identified in on_ws_connect; each event gets its own unit
        session = request.state.db_session
        await read_without_transaction(session)  # a mutation commits this phase first
        credential = request.headers.get("authorization")
        if credential:
            try:
                context.user, claims = await self._authenticate(session, credential)
                context.session_id = claims.session_id
            except Unauthenticated as error:
                context.auth_error = error
        viewer = context.user.id if context.user else None
        loaders = Loaders(session, viewer, presence=self.services.presence.store)
        context.unit = Unit(session, loaders)
        return context

    async def _authenticate(
        self, session: AsyncSession, credential: str
    ) -> tuple[User, AccessClaims]:
        """`authenticate`, again on a fresh connection if the pooled one had been dropped.

        Pooled connections are not pinged at each check-out (see db.session), and a
        request's first statement is usually this one: a database restart is noticed here,
        which invalidates the pool, and the request goes on.
        """
        settings, ended = self.services.settings, self.services.ended_sessions
        try:
            return await authenticate(session, settings, ended, credential)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        await session.rollback()
        await read_without_transaction(session)
        return await authenticate(session, settings, ended, credential)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Identify the socket from connection_init, like an HTTP request, and count it for
        its user: SocketRefused without a valid token (4403, on both protocols, saying
        whether it expired) or over their limits."""
        credential = connection_credential(context.connection_params or {})
        if not isinstance(credential, str) or not credential.strip():  # none, or a number...
            raise SocketRefused(FORBIDDEN, INVALID_TOKEN_REASON)
        async with self.services.sessionmaker() as session:
            await read_without_transaction(session)
            try:
                context.user, claims = await self._authenticate(session, credential)
                context.session_id = claims.session_id
            except Unauthenticated as error:
                raise SocketRefused(FORBIDDEN, _refusal_reason(error)) from error
        user_id = context.user.id
        settings = self.services.settings
        try:
            await self.services.rate_limiter.hit(settings.socket_limit, "socket", str(user_id))
        except RateLimited as error:
            retry_after = error.extensions["retryAfter"]
            reason = f"Too many new sockets; retry in {retry_after} s"
            raise SocketRefused(SOCKETS_RATE_LIMITED, reason) from error
        socket = socket_in(context.request.scope)
        if socket is not None:
            self.services.sockets.identify(socket, user_id, settings.max_sockets_per_user)
            socket.session_id = claims.session_id
            if claims.session_id is not None and self.services.ended_sessions.is_ended(
                claims.session_id
            ):  # it ended while this socket was being identified
                raise SocketRefused(FORBIDDEN, SESSION_ENDED_REASON)
            _close_when_expired(socket, seconds_left(token_from_credential(credential)))
            socket.presence = SocketPresence()  # released when __call__ ends
            await self.services.presence.socket_opened(socket.presence, user_id)
        return cast(UnsetType, UNSET)


def _refusal_reason(error: Unauthenticated) -> str:
    """The 4403 close reason for a token refused at connection_init."""
    reason = error.extensions.get("reason")
    if reason == "TOKEN_EXPIRED":
        return TOKEN_EXPIRED_REASON
    return SESSION_ENDED_REASON if reason == "SESSION_ENDED" else INVALID_TOKEN_REASON


def _close_when_expired(socket: Socket, delay: float) -> None:
    """End the socket when its access token expires; the client reconnects with a new one."""
    timer = asyncio.get_running_loop().call_later(
        delay, socket.close, FORBIDDEN, TOKEN_EXPIRED_REASON
    )
    socket.expiry_timer = timer


_PERSISTED_QUERY_CODES = frozenset(
    {ErrorCode.PERSISTED_QUERY_NOT_FOUND.value, ErrorCode.PERSISTED_QUERY_REQUIRED.value}
)


def _error(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code.value, **error.extensions})


def _never_ran(result: ExecutionResult) -> bool:
    """Refused before execution: no data, and no error at a place in the result. (Not a
    persisted query the client is to send again: Apollo's clients expect those with 200.)"""
    return (
        result.data is None
        and bool(result.errors)
        and all(
            error.path is None
            and (error.extensions or {}).get("code") not in _PERSISTED_QUERY_CODES
            for error in result.errors or ()
        )
    )
