"""Give every error an `extensions.code`; mask unexpected ones as INTERNAL."""

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.request_id import current_request_id
from resolvers.errors import DomainError, ErrorCode

logger = logging.getLogger(__name__)


def coded_error(error: GraphQLError) -> GraphQLError:
    """The client-facing form of `error`: its code, and nothing internal."""
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = {"code": original.code.value, **original.extensions}
        return _with(error, original.message, extensions)
    if error.path is None:
        # Not raised by a resolver: a syntax, validation or variable error in the request.
        return _with(error, error.message, {"code": ErrorCode.BAD_USER_INPUT.value})
    request_id = current_request_id.get()
    logger.error("unexpected error at %s", error.path, exc_info=original or error)
    return _with(
        error,
        "Internal server error",
        {"code": ErrorCode.INTERNAL.value, "requestId": request_id},
    )


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded_error(error) for error in result.errors]
