"""Refuse an operation that may return more objects than a limit, before it runs.

The cost of an operation is the number of objects it may return, at worst. A field that
returns an object costs 1 each time it is resolved; a list multiplies what it holds by its
size: a page by its `first`/`last` argument (a literal or a variable; absent, the schema's
default or else the page maximum), a plain list by the largest size it can have or, where
nothing bounds it, an estimate. Leaf fields cost nothing: they are read off objects already
loaded. So `myChats(first: 100) { edges { node { participants { id } } } }` costs
1 + 100 + 100 + 100 * 25.

The page size of a connection applies to its `edges`. In a fragment on a connection type,
where the page is not known, `edges` counts as a full page.
"""

from collections.abc import Mapping
from typing import Any, TypeGuard

from graphql import (
    SKIP,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    VisitorAction,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from graphql_schema.extensions.fragments import Definition, measure_operations
from loaders.messages import REACTION_SAMPLE
from resolvers import pagination
from resolvers.attachments import MAX_FILES
from resolvers.chats import GROUP_MAX_PARTICIPANTS
from resolvers.mentions import MAX_MENTIONS
from resolvers.pins import MAX_PINS
from resolvers.profiles import SEARCH_MAX
from resolvers.reactions import MAX_DISTINCT_EMOJI
from resolvers.revisions import MAX_REVISIONS

PAGE_ARGUMENTS = ("first", "last")
# The largest page of each field with first/last that is not pagination.MAX_PAGE.
PAGE_MAXIMA = {
    ("Query", "searchUsers"): SEARCH_MAX,
    ("ReactionGroup", "users"): REACTION_SAMPLE,
}
# The size of each plain list: its bound where the resolvers keep one, else an estimate.
LIST_SIZES = {
    ("Message", "reactions"): MAX_DISTINCT_EMOJI,
    ("Message", "attachments"): MAX_FILES,
    ("Message", "mentions"): MAX_MENTIONS,
    ("Message", "editHistory"): MAX_REVISIONS,
    ("Chat", "pinnedMessages"): MAX_PINS,
    ("Chat", "participants"): GROUP_MAX_PARTICIPANTS,  # channels have none
    ("Query", "mySpaces"): 100,
    ("Space", "channels"): 50,
    ("Space", "roles"): 25,
    ("Member", "roles"): 25,
}
# Any other list (bans; `edges` of a connection whose page is unknown).
DEFAULT_LIST_SIZE = pagination.MAX_PAGE


def cost_limit(max_cost: int, variables: Mapping[str, Any]) -> type[ValidationRule]:
    """The rule for one request: its page sizes may come from its variables (so it runs on
    every request, after the cached validation: see documents.py)."""

    class CostLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
            cost = OperationCost(self.context.schema, variables)
            for operation, total in measure_operations(node, cost.measure):
                if total > max_cost:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(
                        GraphQLError(
                            f"'{name}' may cost {total}, over the maximum query cost of "
                            f"{max_cost}: ask for smaller pages or fewer lists within lists",
                            operation,
                            extensions={"limit": "cost", "cost": total, "maxCost": max_cost},
                        )
                    )
            return SKIP  # measured whole: nothing to visit

    return CostLimit


class OperationCost:
    """The cost of an operation or fragment, given those of the fragments it spreads."""

    def __init__(self, schema: GraphQLSchema, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = variables

    def measure(self, definition: Definition, fragments: Mapping[str, int]) -> int:
        root: GraphQLNamedType | None
        if isinstance(definition, OperationDefinitionNode):
            root = self.schema.get_root_type(definition.operation)
        else:
            root = self.schema.get_type(definition.type_condition.name.value)
        total = 0
        # A selection set, its type, how many times it is resolved, the page of its `edges`.
        pending: list[tuple[SelectionSetNode, GraphQLNamedType | None, int, int | None]] = [
            (definition.selection_set, root, 1, None)
        ]
        while pending:
            selection_set, parent, times, page = pending.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FragmentSpreadNode):
                    total += times * fragments.get(selection.name.value, 0)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner = self.schema.get_type(condition.name.value) if condition else parent
                    pending.append((selection.selection_set, inner, times, page))
                elif isinstance(selection, FieldNode) and selection.selection_set:
                    name = selection.name.value
                    if name.startswith("__") or not isinstance(
                        parent, GraphQLObjectType | GraphQLInterfaceType
                    ):
                        continue  # introspection, or a selection on a union (reported)
                    field = parent.fields.get(name)
                    if field is None:  # unknown: FieldsOnCorrectTypeRule reports it
                        continue
                    size, inner_page = self._size(parent.name, selection, field, page)
                    count = times * size
                    total += count
                    named = get_named_type(field.type)
                    pending.append((selection.selection_set, named, count, inner_page))
        return total

    def _size(
        self, parent: str, node: FieldNode, field: GraphQLField, page: int | None
    ) -> tuple[int, int | None]:
        """How many objects the field returns each time, and the page of its `edges`."""
        name = node.name.value
        if name == "edges" and page is not None:
            return page, None
        if any(argument in field.args for argument in PAGE_ARGUMENTS):
            size = self._page(node, field, PAGE_MAXIMA.get((parent, name), pagination.MAX_PAGE))
            returned = get_named_type(field.type)
            if isinstance(returned, GraphQLObjectType) and "edges" in returned.fields:
                return 1, size  # a connection: one object, its edges a page
            return size, None
        if is_list_type(get_nullable_type(field.type)):
            return LIST_SIZES.get((parent, name), DEFAULT_LIST_SIZE), None
        return 1, None

    def _page(self, node: FieldNode, field: GraphQLField, maximum: int) -> int:
        sizes = [
            size
            for argument in node.arguments or ()
            if argument.name.value in PAGE_ARGUMENTS
            and (size := self._int(argument.value)) is not None
        ]
        if not sizes:  # the schema's default (`users(first: Int = 3)`), else a full page
            sizes = [
                default
                for name in PAGE_ARGUMENTS
                if name in field.args and _is_int(default := field.args[name].default_value)
            ]
        return min(max(sizes, default=maximum), maximum)

    def _int(self, value: ValueNode) -> int | None:
        if isinstance(value, VariableNode):
            given = self.variables.get(value.name.value)
            return max(0, given) if _is_int(given) else None
        if isinstance(value, IntValueNode) and len(value.value) <= 10:  # longer: not an Int
            return max(0, int(value.value))
        return None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
