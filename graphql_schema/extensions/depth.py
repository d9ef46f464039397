"""Refuse an operation nested deeper than a limit, counting through fragments."""

from collections.abc import Mapping

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationRule,
)

from graphql_schema.extensions.fragments import Definition, Refusal, limit_rule


def depth_limit(max_depth: int) -> type[ValidationRule]:
    def refusal(name: str, depth: int) -> Refusal:
        return (
            f"'{name}' exceeds maximum operation depth of {max_depth}",
            {"limit": "depth", "depth": depth, "maxDepth": max_depth},
        )

    return limit_rule(operation_depth, max_depth, refusal)


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
