"""Refuse an operation nested deeper than a limit, counting through fragments."""

from collections.abc import Mapping
from typing import Any

from graphql import (
    SKIP,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationRule,
    VisitorAction,
)

from graphql_schema.extensions.fragments import Definition, measure_operations


def depth_limit(max_depth: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
            for operation, depth in measure_operations(node, operation_depth):
                if depth > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            operation,
                            extensions={"limit": "depth", "depth": depth, "maxDepth": max_depth},
                        )
                    )
            return SKIP  # measured whole: nothing to visit

    return DepthLimit


def operation_depth(definition: Definition, fragments: Mapping[str, int]) -> int:
    """How many fields deep the selection goes (`{ me { id } }` is 1).

    A fragment, spread or inline, adds no level of its own. Introspection fields
    (`__schema`, `__type`) count nothing, so GraphiQL's introspection query passes.
    """
    deepest = 0
    pending: list[tuple[SelectionSetNode, int]] = [(definition.selection_set, 0)]
    while pending:
        selection_set, level = pending.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, level + 1)
                    pending.append((selection.selection_set, level + 1))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, level))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, level + fragments.get(selection.name.value, 0))
    return deepest
