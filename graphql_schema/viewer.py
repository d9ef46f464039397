"""Which fields' values depend on who asks, and whether a selection reaches any of them.

A subscription event is executed once for every subscriber whose selection is the same
(graphql_schema.event_execution); a selection that reaches a field marked here is executed
once per viewer instead. Mark a field whose resolver reads the viewer for anything beyond
the authorization the subscription already did per event: `reactedByMe`, `unreadCount`,
what the caller may do or see (`myPermissions`, a chat's title when it may not read it),
a user's own email or INVISIBLE status.
"""

from collections.abc import Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
)
from graphql.type import GraphQLInterfaceType, GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

DEPENDS_ON_VIEWER = {"depends_on_viewer": True}


def is_viewer_dependent(field: GraphQLField) -> bool:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return isinstance(definition, StrawberryField) and bool(
        definition.metadata.get("depends_on_viewer")
    )


def depends_on_viewer(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> bool:
    """Whether `operation` selects a viewer-dependent field anywhere: through fragments,
    inline fragments and every type an interface or union may be. `@skip`/`@include` are
    not evaluated: a field they might leave out counts as selected."""
    root = schema.get_root_type(operation.operation)
    assert root is not None, "a validated operation has its root type"
    return _reaches(schema, root, operation.selection_set, fragments, set())


def _reaches(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    spread: set[str],
) -> bool:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if _field_reaches(schema, parent, selection, fragments, spread):
                return True
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            if target and _reaches(schema, target, selection.selection_set, fragments, spread):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in spread:  # seen: it answered False already
                continue
            spread.add(name)
            target = schema.get_type(fragment.type_condition.name.value)
            if target and _reaches(schema, target, fragment.selection_set, fragments, spread):
                return True
    return False


def _field_reaches(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    node: FieldNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    spread: set[str],
) -> bool:
    name = node.name.value
    if name.startswith("__"):
        return False
    # On an interface, the implementation's field is the one that runs.
    holders: list[GraphQLObjectType | GraphQLInterfaceType] = []
    if is_object_type(parent) or isinstance(parent, GraphQLInterfaceType):
        holders.append(parent)
    if is_abstract_type(parent):
        holders.extend(schema.get_possible_types(parent))
    for holder in holders:
        field = holder.fields.get(name)
        if field is None:
            continue
        if is_viewer_dependent(field):
            return True
        if node.selection_set is not None and _reaches(
            schema, get_named_type(field.type), node.selection_set, fragments, spread
        ):
            return True
    return False
