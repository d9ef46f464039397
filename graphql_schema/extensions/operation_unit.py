"""Every query and mutation works in one unit and publishes what it committed.

Over HTTP the unit is the request's. A socket has no unit of its own, so a query or
mutation sent over one (as graphql-ws clients may send every operation) gets a fresh
unit here; subscriptions open one per event themselves.
"""

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.context import Context


class OperationUnit(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        if context.unit is not None:
            yield
            await context.events.publish_committed(context.unit.session)
        elif self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            yield
        else:
            async with context.event_scope():
                yield
                await context.events.publish_committed(context.session)
