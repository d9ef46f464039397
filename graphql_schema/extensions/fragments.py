"""Measure the operations of a document, measuring each fragment once.

A walk that follows every fragment spread is exponential in the document: with
`fragment F0 on User { ...F1 ...F1 }`, `fragment F1 on User { ...F2 ...F2 }` and so on,
each level doubles the work, and 30 levels (under a kilobyte) held the event loop for
hours. Here each fragment is measured once, after the fragments it spreads, and a spread
adds the measure already found for its fragment. The walks use explicit stacks: a chain
of a thousand fragments must not exhaust Python's.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeAlias, TypeVar

from graphql import (
    SKIP,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VisitorAction,
)

Definition: TypeAlias = OperationDefinitionNode | FragmentDefinitionNode
Measure = TypeVar("Measure")
Refusal: TypeAlias = tuple[str, dict[str, Any]]  # the error's message and extensions


def limit_rule(
    measure: Callable[[Definition, Mapping[str, int]], int],
    limit: int,
    refusal: Callable[[str, int], Refusal],
) -> type[ValidationRule]:
    """A validation rule refusing every operation whose `measure` exceeds `limit`, with
    the message and extensions `refusal(operation name, measure)` gives."""

    class Limit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
            for operation, measured in measure_operations(node, measure):
                if measured > limit:
                    name = operation.name.value if operation.name else "anonymous"
                    message, extensions = refusal(name, measured)
                    self.report_error(GraphQLError(message, operation, extensions=extensions))
            return SKIP  # measured whole: nothing to visit

    return Limit


def measure_operations(
    document: DocumentNode,
    measure: Callable[[Definition, Mapping[str, Measure]], Measure],
) -> list[tuple[OperationDefinitionNode, Measure]]:
    """`measure` of every operation of `document`.

    `measure(definition, fragments)` gets the measures of the fragments the definition
    spreads, except of one that closes a cycle or is not defined: graphql-core's rules
    report both, so such a spread may count for nothing.
    """
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    measured: dict[str, Measure] = {}
    for name in _dependency_order(fragments):
        measured[name] = measure(fragments[name], measured)
    return [
        (definition, measure(definition, measured))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """The fragment names, each after the fragments it spreads (a depth-first walk that
    skips a spread back to a fragment still on its path: a cycle)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        path = [(root, _spreads(fragments[root].selection_set))]
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                if spread in fragments and spread not in seen:
                    seen.add(spread)
                    path.append((spread, _spreads(fragments[spread].selection_set)))
                    break
            else:
                path.pop()
                order.append(name)
    return order


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    """The names of the fragments spread anywhere in `selection_set`."""
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
