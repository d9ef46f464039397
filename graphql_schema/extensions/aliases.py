"""Refuse an operation with more aliases than a limit, counting through fragments.

Aliases are how one operation asks for the same costly field many times over; a fragment
spread n times counts its aliases n times.
"""

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


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    class AliasLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
            for operation, aliases in measure_operations(node, alias_count):
                if aliases > max_aliases:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(
                        GraphQLError(
                            f"'{name}' has {aliases} aliases; at most {max_aliases} are allowed",
                            operation,
                            extensions={
                                "limit": "aliases",
                                "aliases": aliases,
                                "maxAliases": max_aliases,
                            },
                        )
                    )
            return SKIP  # measured whole: nothing to visit

    return AliasLimit


def alias_count(definition: Definition, fragments: Mapping[str, int]) -> int:
    """The aliased fields the definition selects, those of the fragments it spreads
    included (once per spread)."""
    count = 0
    pending: list[SelectionSetNode] = [definition.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                count += fragments.get(selection.name.value, 0)
                continue
            if isinstance(selection, FieldNode) and selection.alias:
                count += 1
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return count
