"""Which subscription selections depend on who asks (executed once per viewer), and that
every field that looks viewer-dependent is marked so."""

import inspect
import re

import pytest
from graphql import (
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    is_object_type,
    parse,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from graphql_schema.schema import create_schema
from graphql_schema.viewer import depends_on_viewer, is_viewer_dependent


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return create_schema()._schema


def dependent(schema: GraphQLSchema, query: str) -> bool:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return depends_on_viewer(schema, operation, fragments)


def test_message_content_is_the_same_for_everyone(schema: GraphQLSchema) -> None:
    query = """subscription { chatEvents(chatId: "x") { __typename
        ... on MessageCreated { message { id content author { tag displayName } } } } }"""
    assert not dependent(schema, query)


def test_reacted_by_me_in_an_inline_fragment_depends_on_the_viewer(schema: GraphQLSchema) -> None:
    query = """subscription { chatEvents(chatId: "x") {
        ... on ReactionChanged { message { reactions { emoji count reactedByMe } } } } }"""
    assert dependent(schema, query)


def test_a_marked_field_in_a_nested_fragment_counts(schema: GraphQLSchema) -> None:
    query = """subscription { chatEvents(chatId: "x") { ...E } }
        fragment E on MessageCreated { message { chat { ...C } } }
        fragment C on Chat { id unreadCount }"""
    assert dependent(schema, query)


def test_a_fragment_spread_twice_is_walked_once(schema: GraphQLSchema) -> None:
    query = """subscription { chatEvents(chatId: "x") { ...E ...E } }
        fragment E on MessageCreated { message { id } }"""
    assert not dependent(schema, query)


def test_a_user_status_depends_on_the_viewer(schema: GraphQLSchema) -> None:
    # Another user's INVISIBLE shows as OFFLINE; the user themself sees INVISIBLE.
    assert dependent(
        schema, "subscription { myEvents { ... on PresenceChanged { user { status } } } }"
    )
    assert not dependent(schema, "subscription { myEvents { ... on PresenceChanged { status } } }")


def test_a_field_selected_on_an_interface_counts_its_implementations(
    schema: GraphQLSchema,
) -> None:
    assert dependent(schema, '{ node(id: "x") { ... on Chat { title } } }')
    assert not dependent(schema, '{ node(id: "x") { id } }')


# What a resolver reads when its value depends on who asks.
VIEWER_READS = re.compile(
    r"context\.user|require_user|_standing\(|\.standing\(|_readable\(|readable_messages|chat_access|"
    r"unread_counts|loaders\.online"
)
VIEWER_NAMES = re.compile(r"^(viewer|my[A-Z])|ByMe$|^unread")
ROOTS = {"Query", "Mutation", "Subscription"}


def test_every_field_that_reads_the_viewer_is_marked(schema: GraphQLSchema) -> None:
    unmarked = []
    for type_ in schema.type_map.values():
        if not is_object_type(type_) or type_.name in ROOTS or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():  # type: ignore[attr-defined]
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            assert isinstance(definition, StrawberryField)
            resolver = definition.base_resolver
            source = inspect.getsource(resolver.wrapped_func) if resolver else ""
            looks_dependent = VIEWER_NAMES.search(name) or VIEWER_READS.search(source)
            if looks_dependent and not is_viewer_dependent(field):
                unmarked.append(f"{type_.name}.{name}")
    assert unmarked == []


def test_the_check_sees_an_unmarked_viewer_field() -> None:
    """The guard above can fail: a pattern it must catch."""
    assert VIEWER_NAMES.search("viewerCanEdit") and VIEWER_NAMES.search("reactedByMe")
    assert VIEWER_READS.search("viewer = info.context.user")
    assert not VIEWER_NAMES.search("content")
