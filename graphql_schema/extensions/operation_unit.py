"""Every query and mutation works in one unit: reading without a transaction, or
writing in one.

Over HTTP the unit is the request's. A socket has no unit of its own, so a query or
mutation sent over one (as graphql-ws clients may send every operation) gets a fresh
unit here; subscriptions open one per event themselves. Whoever owns a unit publishes
what it committed (app.graphql_app for a request, Context.event_scope otherwise), not
this extension: a commit is heard of wherever it was made.

A query reads without a transaction (db.session.read_without_transaction); a mutation
runs in one: an HTTP request's session, which authenticated without one, commits that
reading phase first, so that the mutation's statements begin a transaction of their own.
A query's loaders start with the viewer's row, which authentication loaded.
"""

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from db.session import read_without_transaction
from graphql_schema.context import Context


class OperationUnit(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        operation = self.execution_context.operation_type
        if context.unit is not None:
            if operation is OperationType.MUTATION:
                await context.unit.session.commit()
            elif context.user is not None:
                # The fields that show the viewer need no second load of the row. (Not for
                # a mutation: one that rolls back expires it, and a field would then load.)
                context.loaders.users.prime(context.user.id, context.user)
            yield
        elif operation is OperationType.SUBSCRIPTION:
            yield
        else:
            async with context.event_scope():
                if operation is OperationType.QUERY:
                    await read_without_transaction(context.session)
                yield
