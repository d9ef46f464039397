"""Refuse an operation with more aliases than a limit, counting through fragments.

Aliases are how one operation asks for the same costly field many times over; a fragment
spread n times counts its aliases n times.
"""

from collections.abc import Mapping

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationRule,
)

from graphql_schema.extensions.fragments import Definition, Refusal, limit_rule


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    def refusal(name: str, aliases: int) -> Refusal:
        return (
            f"'{name}' has {aliases} aliases; at most {max_aliases} are allowed",
            {"limit": "aliases", "aliases": aliases, "maxAliases": max_aliases},
        )

    return limit_rule(alias_count, max_aliases, refusal)


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
