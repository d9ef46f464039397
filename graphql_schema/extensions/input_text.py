"""One check for every text a caller sends, in variables and in the document alike.

PostgreSQL refuses U+0000, and no database can store a lone surrogate (JSON lets a client
send "\\ud800"); such text would otherwise fail deep inside a write as INTERNAL. No text
argument needs more than TEXT_MAX characters either: each field has its own, smaller,
limit, and this bound keeps a forgotten one from reaching a LIKE or an index. The check
runs before validation, so a refused operation runs nothing.
"""

import re
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit
from graphql.language import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from graphql_schema.extensions.input_names import input_field, variable_fields
from infra.errors import BadUserInput

TEXT_MAX = 100_000
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Text must not contain U+0000 or unpaired surrogates"


def text_problem(value: str) -> str | None:
    """Why `value` can't be accepted as text, or None."""
    if UNSTORABLE.search(value):
        return UNSTORABLE_MESSAGE
    if len(value) > TEXT_MAX:
        return f"Text arguments have at most {TEXT_MAX} characters"
    return None


class InputText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            error = _in_variables(document, context.variables or {})
            if error is None and _may_hold_bad_literals(context.query or ""):
                error = _in_literals(document)
            if error is not None:  # validation is skipped, and the operation refused
                context.pre_execution_errors = [error]
        yield


def _refusal(message: str, field: str | None, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, original_error=BadUserInput(message, field=field))


def _in_variables(document: DocumentNode, variables: dict[str, Any]) -> GraphQLError | None:
    """The first unacceptable text among the variables, found without recursion (a client
    controls how deep they nest)."""
    stack: list[tuple[object, str, bool]] = [(v, name, True) for name, v in variables.items()]
    while stack:
        value, name, is_variable = stack.pop()
        if isinstance(value, str):
            if (problem := text_problem(value)) is not None:
                if is_variable:
                    field = variable_fields(document).get(name, name)
                    return _refusal(problem, field, _definition(document, name))
                return _refusal(problem, name)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    return _refusal(problem, name)
                stack.append((item, key, False))
        elif isinstance(value, list):
            stack.extend((item, name, is_variable) for item in value)
    return None


def _may_hold_bad_literals(query: str) -> bool:
    """False for the usual document: bad text in a literal needs an escape or a long string."""
    return "\\u" in query or len(query) > TEXT_MAX or UNSTORABLE.search(query) is not None


def _in_literals(document: DocumentNode) -> GraphQLError | None:
    found: list[GraphQLError] = []

    class Literals(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: object) -> None:
            if not found and (problem := text_problem(node.value)) is not None:
                found.append(_refusal(problem, input_field(document, [node]), node))

    visit(document, Literals())
    return found[0] if found else None


def _definition(document: DocumentNode, variable: str) -> Any:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for candidate in definition.variable_definitions or ():
                if candidate.variable.name.value == variable:
                    return candidate
    return None
