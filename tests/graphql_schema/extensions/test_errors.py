"""Which errors are the caller's (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
BAD_USER_INPUT) and which are ours (INTERNAL, logged)."""

import pytest
from graphql import GraphQLError, GraphQLSyntaxError, Source, parse

from graphql_schema.extensions.errors import coded_error
from infra.errors import NotFound


def test_an_exception_wrapped_without_a_place_in_the_document_is_internal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What Strawberry makes of an exception in an extension hook or a subscription's stream.
    error = coded_error(GraphQLError("password=hunter2", original_error=RuntimeError("x")))
    assert error.message == "Internal server error"
    assert error.extensions is not None and error.extensions["code"] == "INTERNAL"
    assert "unexpected error" in caplog.text


def test_a_value_the_request_holds_is_bad_user_input_naming_its_argument() -> None:
    document = parse('{ a(expiresAt: "2030-01-01T00:00:00") }')
    value = document.definitions[0].selection_set.selections[0].arguments[0].value  # type: ignore[attr-defined]
    error = coded_error(GraphQLError("naive", value, original_error=ValueError("naive")), document)
    assert error.extensions == {"code": "BAD_USER_INPUT", "field": "expiresAt"}


def test_a_syntax_error_is_a_parse_failure() -> None:
    error = coded_error(GraphQLSyntaxError(Source("{ a"), 3, "Expected Name, found <EOF>."))
    assert error.extensions == {"code": "GRAPHQL_PARSE_FAILED"}


def test_what_validation_found_is_a_validation_failure_and_other_request_errors_are_not() -> None:
    unknown = GraphQLError("Cannot query field 'a' on type 'Query'.")
    assert coded_error(unknown, invalid=True).extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert coded_error(unknown).extensions == {"code": "BAD_USER_INPUT"}  # variables, say
    refused = GraphQLError("gone", original_error=NotFound("Chat not found"))
    assert coded_error(refused, invalid=True).extensions == {"code": "NOT_FOUND"}


def test_a_domain_error_keeps_its_code_even_without_a_path() -> None:
    error = coded_error(GraphQLError("gone", original_error=NotFound("Chat not found")))
    assert (error.message, error.extensions) == ("Chat not found", {"code": "NOT_FOUND"})
