"""The depth limit: fields nested in fields, counted through fragments, in linear time."""

import pytest
from graphql import GraphQLError, GraphQLSchema, parse, validate

from graphql_schema.extensions.depth import depth_limit, operation_depth
from graphql_schema.extensions.fragments import measure_operations
from graphql_schema.schema import MAX_DEPTH, create_schema


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return create_schema()._schema


def depth(query: str) -> int:
    [(_, measured)] = measure_operations(parse(query), operation_depth)
    return measured


def refusals(schema: GraphQLSchema, query: str) -> list[GraphQLError]:
    """The depth limit's errors alone (the fields need not exist)."""
    return validate(schema, parse(query), [depth_limit(MAX_DEPTH)])


def nested(levels: int) -> str:
    return "{ " + "a { " * levels + "b" + " }" * levels + " }"


def test_each_field_with_a_selection_is_one_level() -> None:
    assert depth("{ me { id } }") == 1
    assert depth("{ __typename }") == 0
    assert depth(nested(5)) == 5


def test_depth_is_counted_through_fragment_spreads() -> None:
    query = """{ mySpaces { ...S } }
        fragment S on Space { channels { ...C } }
        fragment C on Chat { messages { edges { node { id } } } }"""
    assert depth(query) == 5


def test_inline_fragments_add_no_level() -> None:
    assert depth("{ node(id: 1) { ... on Chat { ... { lastMessage { id } } } } }") == 2


def test_the_deepest_branch_counts() -> None:
    query = "{ me { id } mySpaces { ...S } } fragment S on Space { owner { id } channels { id } }"
    assert depth(query) == 2


def test_introspection_fields_do_not_count() -> None:
    deep = "{ __schema { types { fields { type " + "{ ofType " * 12 + "{ name }" + " }" * 16
    assert depth(deep) == 0


def test_an_operation_as_deep_as_the_limit_passes(schema: GraphQLSchema) -> None:
    assert refusals(schema, nested(MAX_DEPTH)) == []


def test_one_level_more_is_refused_naming_the_limit(schema: GraphQLSchema) -> None:
    [error] = refusals(schema, "query Deep " + nested(MAX_DEPTH + 1))
    assert error.message == f"'Deep' exceeds maximum operation depth of {MAX_DEPTH}"
    assert error.extensions == {"limit": "depth", "depth": MAX_DEPTH + 1, "maxDepth": MAX_DEPTH}


def test_levels_reached_through_fragments_are_refused(schema: GraphQLSchema) -> None:
    fragments = " ".join(f"fragment F{i} on T {{ a {{ ...F{i + 1} }} }}" for i in range(12))
    [error] = refusals(schema, "{ a { ...F0 } } " + fragments + " fragment F12 on T { b }")
    assert error.extensions is not None and error.extensions["depth"] == 13


@pytest.mark.timeout(10)  # walking every spread again would take 2**40 steps
def test_fragments_spread_twice_per_level_are_measured_once_each() -> None:
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on T {{ a {{ ...F{i + 1} }} ...F{i + 1} }}" for i in range(levels)
    )
    assert depth("{ a { ...F0 } } " + fragments + f" fragment F{levels} on T {{ b }}") == 41


def test_a_fragment_cycle_ends_the_walk(schema: GraphQLSchema) -> None:
    query = """{ me { ...A } }
        fragment A on User { id ...B }
        fragment B on User { tag ...A }"""
    assert depth(query) == 1
    assert refusals(schema, query) == []  # NoFragmentCyclesRule reports the cycle


def test_an_unknown_fragment_counts_nothing() -> None:
    assert depth("{ me { ...Missing } }") == 1
