"""Subscriptions run over WebSocket only.

Over HTTP, Strawberry would execute a subscription as if it were a query and fail on its
stream as INTERNAL; it is refused before it runs instead, saying where to send it.
"""

from collections.abc import Iterator

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from infra.errors import BadUserInput

MESSAGE = "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws or graphql-ws)"


class SubscriptionsOverSockets(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if (
            context.pre_execution_errors is None
            and context.operation_type is OperationType.SUBSCRIPTION
            and not isinstance(context.context.request, WebSocket)
        ):
            context.pre_execution_errors = [
                GraphQLError(MESSAGE, original_error=BadUserInput(MESSAGE))
            ]
        yield
