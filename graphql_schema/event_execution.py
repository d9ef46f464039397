"""Each subscription event is executed once for all the subscribers that would execute it
alike, not once per subscriber.

graphql-core executes a subscription's selection once per event per subscription, with the
event its generator yielded as the root. Here the subscribers of one published event
(infra.broadcast.Published, the same object for all of them in this process) whose operation
text, operation name and variables are equal share one execution: the first to reach the
event runs it, the others await its result. A selection that reaches a field whose value
depends on who asks (graphql_schema.viewer) is shared only between sockets of the same
viewer; any other runs in a context with no viewer at all, so that no one's rights or
choices can leak into what the others receive. The result hangs off the event and goes
with it once every local subscriber has taken it.

Authorization is not shared: each subscription's generator checks its own subscriber's
rights for every event before it yields (graphql_schema.subscriptions).
"""

import dataclasses
import json
import logging
from collections.abc import Hashable
from copy import copy
from typing import Any

from graphql import ExecutionResult, OperationType
from graphql.execution.executor import CollectedErrors
from graphql.pyutils import AwaitableOrValue
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_schema.context import Context
from graphql_schema.extensions.errors import coded_error
from graphql_schema.viewer import depends_on_viewer
from infra.broadcast import Published
from infra.frames import EncodedData

logger = logging.getLogger(__name__)


class EventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, sharing the execution of a subscription event (see above)."""

    viewer_dependent: bool | None = None  # the subscription's, worked out at its first event

    def build_per_event_executor(self, payload: Any) -> "EventExecutor":
        if self.viewer_dependent is None:
            self.viewer_dependent = depends_on_viewer(
                self.schema, self.operation, self.fragment_definitions
            )
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, EventExecutor)
        return executor

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Any]:
        source = getattr(self.root_value, "source", None)
        if self.operation.operation is not OperationType.SUBSCRIPTION or not isinstance(
            source, Published
        ):  # a query, a mutation, or an event replayed for this subscriber alone
            return super().execute_operation(serially)
        return self._shared(source)

    async def _shared(self, event: Published) -> ExecutionResult:
        context: Context = self.context_value
        viewer = context.user.id if self.viewer_dependent and context.user else None
        key = self._key(viewer)
        return await event.once(key, lambda: self._execute_once(event, key, viewer))

    def _key(self, viewer: int | None) -> Hashable:
        location = self.operation.loc
        document = location.source.body if location is not None else id(self.operation)
        name = self.operation.name.value if self.operation.name else None
        variables = json.dumps(self.variable_values.coerced, sort_keys=True, default=str)
        # Links to media are under the address the socket came to, in development.
        base_url = self.context_value.public_base_url
        return ("execution", document, name, variables, viewer, base_url)

    async def _execute_once(
        self, event: Published, key: Hashable, viewer: int | None
    ) -> ExecutionResult:
        executor = copy(self)
        executor.collected_errors = CollectedErrors()
        context: Context = self.context_value
        if viewer is None:  # nothing selected may depend on who asks: nobody asks
            context = dataclasses.replace(context, user=None, auth_error=None, unit=None)
        executor.context_value = context
        async with context.event_scope():
            context.event_batch.prime(event, context.loaders)
            result = super(EventExecutor, executor).execute_operation(False)
            if executor.is_awaitable(result):
                result = await result
        assert isinstance(result, ExecutionResult)
        logger.debug("executed %s for an event on %s", key, event.channel)
        if result.errors:  # coded (and an unexpected one logged) once for all who share it
            result.errors = [coded_error(error) for error in result.errors]
        if result.data is not None:  # and encoded once (infra.frames)
            errors = [error.formatted for error in result.errors] if result.errors else None
            result.data = EncodedData(result.data, errors)
        return result
