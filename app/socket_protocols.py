"""Strawberry's two WebSocket protocol handlers, with this server's limits.

Both refuse a socket that on_ws_connect refuses with a close code of ours (SocketRefused),
and answer an operation over the per-socket cap or the per-user rate with an `error`
carrying `extensions.code`, leaving the socket open (Strawberry's own cap says only
"Subscription limit reached"). The legacy handler also refuses a second connection_init,
as graphql-transport-ws does (each one would count the socket for presence again), and a
message missing a field it needs (4400, where Strawberry's handler crashed the socket).

A result shared between subscribers goes out as its payload encoded once, with this
socket's operation id spliced in (infra.frames).
"""

from typing import Protocol, cast

from graphql import GraphQLError, GraphQLFormattedError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionErrorMessage,
    OperationMessage,
    StartMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)
from strawberry.types import ExecutionResult

from app.services import Services
from graphql_schema.context import Context
from graphql_schema.extensions.errors import coded_error
from infra.errors import BadUserInput, DomainError, RateLimited
from infra.frames import EncodedData, data_frame, next_frame
from infra.sockets import SocketRefused

TOO_MANY_INITS = 4429  # graphql-transport-ws's code and reason
TOO_MANY_INITS_REASON = "Too many initialisation requests"


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except SocketRefused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Unacknowledged or a duplicate id: Strawberry closes the socket (4401, 4409).
        if self.connection_acknowledged and message["id"] not in self.operations:
            error = await _refusal(self.context, running=len(self.operations))
            error = error or await _persisted(self.view, message["payload"])
            if error is not None:
                await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
                return
        await super().handle_subscribe(message)

    async def send_message(self, message: Message) -> None:
        if message["type"] == "next":
            payload = message["payload"]
            data = payload.get("data")
            if isinstance(data, EncodedData) and payload.keys() <= {"data", "errors"}:
                await _send_text(self.websocket, next_frame(message["id"], data.payload))
                return
        await super().send_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    initialised = False

    async def handle_message(self, message: OperationMessage) -> None:
        try:
            await super().handle_message(message)
        except KeyError:  # graphql-transport-ws's code and reason
            await self.websocket.close(code=4400, reason="Failed to parse message")

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        if self.initialised:
            await self.websocket.close(code=TOO_MANY_INITS, reason=TOO_MANY_INITS_REASON)
            return
        self.initialised = True
        try:
            await super().handle_connection_init(message)
        except SocketRefused as refused:
            error = ConnectionErrorMessage(
                type="connection_error", payload={"reason": refused.reason}
            )
            await self.send_message(error)
            await self.websocket.close(code=refused.code, reason=refused.reason)

    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            # Reusing a running operation's id replaces it (Strawberry stops the old one).
            running = len(self.tasks) - (message["id"] in self.tasks)
            error = await _refusal(self.context, running=running)
            error = error or await _persisted(self.view, message["payload"])
            if error is not None:
                await self.send_message({"type": "error", "id": message["id"], "payload": error})
                return
        await super().handle_start(message)

    async def send_data_message(self, execution_result: ExecutionResult, operation_id: str) -> None:
        data = execution_result.data
        if isinstance(data, EncodedData) and not execution_result.extensions:
            await _send_text(self.websocket, data_frame(operation_id, data.payload))
            return
        await super().send_data_message(execution_result, operation_id)


async def _send_text(websocket: AsyncWebSocketAdapter, text: str) -> None:
    """Send an encoded frame as Strawberry's adapter sends what it encodes."""
    assert isinstance(websocket, ASGIWebSocketAdapter)
    try:
        await websocket.ws.send_text(text)
    except WebSocketDisconnect as exc:
        raise WebSocketDisconnected from exc


async def _refusal(context: Context, running: int) -> GraphQLFormattedError | None:
    """Why the user may not start another operation on a socket running `running` (None: go).

    Queries and mutations sent over the socket count too: they are operations like any other.
    """
    limit = context.settings.max_subscriptions_per_socket
    if running >= limit:
        return _formatted(
            BadUserInput(f"At most {limit} operations may run on one socket; complete one first")
        )
    user = context.require_user()
    try:
        await context.rate_limiter.hit(
            context.settings.subscription_limit, "subscribe", str(user.id)
        )
    except RateLimited as error:
        return _formatted(error)
    return None


class _ServedView(Protocol):
    services: Services


async def _persisted(view: object, payload: object) -> GraphQLFormattedError | None:
    """Put the query a persisted query's hash stands for into the payload, or refuse it (an
    unknown hash; with trusted documents only, any other document), before it is parsed."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str | None):
        return None  # Strawberry's handler refuses it
    extensions = payload.get("extensions")
    persisted_queries = cast(_ServedView, view).services.persisted_queries
    try:
        query = await persisted_queries.query(
            payload.get("query"), extensions if isinstance(extensions, dict) else None
        )
    except DomainError as error:
        return _formatted(error)
    if query is not None:
        payload["query"] = query
    return None


def _formatted(error: DomainError) -> GraphQLFormattedError:
    return coded_error(GraphQLError(error.message, original_error=error)).formatted
