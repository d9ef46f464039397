"""Give every error an `extensions.code`; mask unexpected ones as INTERNAL."""

import logging
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from graphql_schema.extensions.input_names import input_field
from graphql_schema.extensions.suggestions import without_suggestions
from infra.errors import DomainError, ErrorCode
from infra.refusals import mark_refused
from infra.request_id import current_request_id

logger = logging.getLogger(__name__)

# An answer without data and with only these achieved nothing by the caller's fault.
_REFUSALS = frozenset(
    code.value
    for code in (
        ErrorCode.BAD_USER_INPUT,
        ErrorCode.UNAUTHENTICATED,
        ErrorCode.GRAPHQL_PARSE_FAILED,
        ErrorCode.GRAPHQL_VALIDATION_FAILED,
    )
)

# What a request's own faults are raised as before anything runs.
_REQUEST_FAULTS = (
    GraphQLError,
    MissingQueryError,
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)


class CodedError(GraphQLError):
    """An error in its client-facing form already (see coded_error)."""


def coded_error(
    error: GraphQLError,
    document: DocumentNode | None = None,
    *,
    hide_suggestions: bool = False,
    invalid: bool = False,
) -> GraphQLError:
    """The client-facing form of `error`: its code, and nothing internal; an error in the
    request names the argument or input field it is about, when it is about one. `invalid`:
    `error` is one validation found (GRAPHQL_VALIDATION_FAILED, unless a DomainError's).

    One in that form already is returned as it is: a subscription event executed once for
    many subscribers is coded (and logged) once, then passes here for each of them."""
    if isinstance(error, CodedError):
        return error
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = {"code": original.code.value, **original.extensions}
        return _with(error, original.message, extensions)
    if _in_request(error):
        # Its own extensions (a limit's figures) stay.
        message = without_suggestions(error.message) if hide_suggestions else error.message
        code = _request_code(error, invalid)
        extensions = {**(error.extensions or {}), "code": code.value}
        if (field := input_field(document, error.nodes)) is not None:
            extensions.setdefault("field", field)
        return _with(error, message, extensions)
    request_id = current_request_id.get()
    logger.error("unexpected error at %s", error.path or "(no path)", exc_info=original or error)
    return _with(
        error,
        "Internal server error",
        {"code": ErrorCode.INTERNAL.value, "requestId": request_id},
    )


def _in_request(error: GraphQLError) -> bool:
    """A syntax, validation or variable error in the request, not a fault of ours. Those have
    no path; neither has an exception Strawberry wrapped from an extension hook or from a
    subscription's stream, but that one has no place in the document either."""
    if error.path is not None:
        return False
    original = error.original_error
    return bool(error.nodes) or original is None or isinstance(original, _REQUEST_FAULTS)


def _request_code(error: GraphQLError, invalid: bool) -> ErrorCode:
    if isinstance(error, GraphQLSyntaxError):  # the token limit's refusal too
        return ErrorCode.GRAPHQL_PARSE_FAILED
    return ErrorCode.GRAPHQL_VALIDATION_FAILED if invalid else ErrorCode.BAD_USER_INPUT


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return CodedError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def __init__(self, *, hide_suggestions: bool = False) -> None:
        self.hide_suggestions = hide_suggestions
        self._streamed = False
        self._invalid = False  # validation refused the operation: its errors are what it found

    def on_validate(self) -> Iterator[None]:
        yield  # (the first extension: left when every extension's rules have run)
        self._invalid = bool(self.execution_context.pre_execution_errors)

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        result = self.execution_context.result
        if not self._streamed and result is not None:  # streamed results are done already
            _code(
                result,
                self.execution_context.graphql_document,
                self.hide_suggestions,
                self._invalid,
            )
            if _refused(result):
                mark_refused(self.execution_context.context.request.scope)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each result of a subscription, before it goes out over the socket."""
        self._streamed = True
        _code(result, self.execution_context.graphql_document, self.hide_suggestions, self._invalid)
        yield None


def _refused(result: Any) -> bool:
    errors: list[GraphQLError] = getattr(result, "errors", None) or []
    return (
        bool(errors)
        and getattr(result, "data", None) is None
        and all((error.extensions or {}).get("code") in _REFUSALS for error in errors)
    )


def _code(
    result: Any, document: DocumentNode | None, hide_suggestions: bool, invalid: bool
) -> None:
    if getattr(result, "errors", None):
        result.errors = [
            coded_error(error, document, hide_suggestions=hide_suggestions, invalid=invalid)
            for error in result.errors
        ]
