"""Strawberry's WebSocket protocol handlers, where this server needs more than they do.

The legacy handler refuses a second connection_init, as graphql-transport-ws does: each one
would count the socket for presence again.
"""

from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage

from app.context import Context

TOO_MANY_INITS = 4429  # graphql-transport-ws's code and reason
TOO_MANY_INITS_REASON = "Too many initialisation requests"


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    initialised = False

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.initialised:
            await self.websocket.close(code=TOO_MANY_INITS, reason=TOO_MANY_INITS_REASON)
            return
        self.initialised = True
        await super().handle_connection_init(message)
