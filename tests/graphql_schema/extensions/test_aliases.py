"""The alias limit: aliases counted through fragments, once per spread, in linear time."""

import pytest
from graphql import GraphQLError, GraphQLSchema, parse, validate

from graphql_schema.extensions.aliases import alias_count, alias_limit
from graphql_schema.extensions.fragments import measure_operations
from graphql_schema.schema import MAX_ALIASES, create_schema


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return create_schema()._schema


def aliases(query: str) -> list[int]:
    return [measured for _, measured in measure_operations(parse(query), alias_count)]


def refusals(schema: GraphQLSchema, query: str) -> list[GraphQLError]:
    return validate(schema, parse(query), [alias_limit(MAX_ALIASES)])


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(count)) + " }"


def test_aliased_fields_are_counted_at_any_depth() -> None:
    assert aliases("{ me { id } }") == [0]
    assert aliases("{ a: me { b: id c: tag } d: mySpaces { e: id } }") == [5]


def test_aliases_in_inline_fragments_count() -> None:
    assert aliases("{ node(id: 1) { ... on User { a: id } ... { b: id } } }") == [2]


def test_a_fragment_counts_once_per_spread() -> None:
    query = """{ me { ...F } x: me { ...F ...F } }
        fragment F on User { a: id b: tag }"""
    assert aliases(query) == [7]


def test_nested_fragments_multiply() -> None:
    query = """{ me { ...Twice ...Twice } }
        fragment Twice on User { ...One ...One }
        fragment One on User { a: id }"""
    assert aliases(query) == [4]


def test_as_many_aliases_as_the_limit_pass(schema: GraphQLSchema) -> None:
    assert refusals(schema, aliased(MAX_ALIASES)) == []


def test_one_alias_more_is_refused_naming_the_limit(schema: GraphQLSchema) -> None:
    [error] = refusals(schema, "query Many " + aliased(MAX_ALIASES + 1))
    assert (
        error.message == f"'Many' has {MAX_ALIASES + 1} aliases; at most {MAX_ALIASES} are allowed"
    )
    assert error.extensions == {
        "limit": "aliases",
        "aliases": MAX_ALIASES + 1,
        "maxAliases": MAX_ALIASES,
    }


def test_each_operation_has_the_limit_to_itself(schema: GraphQLSchema) -> None:
    # Only one operation of a document runs.
    document = f"query A {aliased(MAX_ALIASES)} query B {aliased(MAX_ALIASES)}"
    assert aliases(document) == [MAX_ALIASES, MAX_ALIASES]
    assert refusals(schema, document) == []


@pytest.mark.timeout(10)  # walking every spread again would take 2**60 steps
def test_fragments_spread_twice_per_level_are_counted_exactly_in_linear_time(
    schema: GraphQLSchema,
) -> None:
    levels = 60
    fragments = " ".join(
        f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = "{ me { ...F0 } } " + fragments + f" fragment F{levels} on User {{ a: id }}"
    assert aliases(query) == [2**levels]
    [error] = refusals(schema, query)
    assert error.extensions is not None and error.extensions["aliases"] == 2**levels


def test_a_fragment_cycle_ends_the_count() -> None:
    query = """{ me { ...A } }
        fragment A on User { a: id ...B }
        fragment B on User { b: tag ...A }"""
    assert aliases(query) == [2]
