"""The cost limit: objects an operation may return, lists multiplying, in linear time."""

from typing import Any

import pytest
from graphql import (
    GraphQLError,
    GraphQLObjectType,
    get_nullable_type,
    is_list_type,
    parse,
    validate,
)

from graphql_schema.extensions.cost import LIST_SIZES, PAGE_MAXIMA, OperationCost, cost_limit
from graphql_schema.extensions.fragments import measure_operations
from graphql_schema.schema import create_schema

PAGE = 100  # every connection's largest page
SCHEMA = create_schema()._schema


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    [(_, measured)] = measure_operations(
        parse(query), OperationCost(SCHEMA, variables or {}).measure
    )
    return measured


def refusals(
    query: str, max_cost: int, variables: dict[str, Any] | None = None
) -> list[GraphQLError]:
    return validate(SCHEMA, parse(query), [cost_limit(max_cost, variables or {})])


def test_each_object_costs_one_and_leaves_cost_nothing() -> None:
    assert cost("{ me { id tag status } }") == 1
    assert cost("{ me { id } chat(id: 1) { space { owner { id } } } }") == 4
    assert cost("{ __typename unreadNotificationCount }") == 0


def test_a_page_costs_its_first_argument_for_each_edge_and_node() -> None:
    query = "{ myChats(first: 10) { pageInfo { hasNextPage } edges { node { id } } } }"
    assert cost(query) == 1 + 1 + 10 + 10


def test_a_page_size_may_come_from_a_variable() -> None:
    query = "query($n: Int) { myChats(first: $n) { edges { node { id } } } }"
    assert cost(query, {"n": 7}) == 1 + 7 + 7
    assert cost(query) == 1 + PAGE + PAGE  # not given: the largest page
    assert cost(query, {"n": "7"}) == 1 + PAGE + PAGE  # not an Int: refused when run


def test_without_first_or_last_a_page_counts_as_the_largest() -> None:
    assert cost("{ notifications { edges { node { id } } } }") == 1 + PAGE + PAGE
    assert cost('{ messages(chatId: 1, before: "x") { edges { node { id } } } }') == 1 + 2 * PAGE


def test_last_counts_like_first_and_a_page_beyond_the_largest_counts_as_the_largest() -> None:
    assert cost("{ messages(chatId: 1, last: 30) { edges { node { id } } } }") == 1 + 30 + 30
    assert cost("{ messages(chatId: 1, first: 5000) { edges { node { id } } } }") == 1 + 2 * PAGE
    huge = "9" * 5000  # too long for int(), and not an Int anyway
    assert cost(f"{{ myChats(first: {huge}) {{ edges {{ node {{ id }} }} }} }}") == 1 + 2 * PAGE


def test_a_list_with_first_and_a_schema_default_counts_that_default() -> None:
    query = "{ chat(id: 1) { lastMessage { reactions { users { id } } } } }"
    assert cost(query) == 1 + 1 + 20 + 20 * 3  # at most 20 emoji, 3 users each by default
    assert cost('{ searchUsers(query: "a") { id } }') == 10
    assert cost('{ searchUsers(query: "a", first: 50) { id } }') == 50


def test_plain_lists_count_their_bound_or_estimate() -> None:
    assert cost("{ mySpaces { channels { id } } }") == 100 + 100 * 50
    assert cost("{ chat(id: 1) { participants { id } } }") == 1 + 25


def test_lists_within_lists_multiply() -> None:
    query = """{ mySpaces { channels { messages(last: 100) { edges { node {
        reactions { users(first: 10) { id } } } } } } } }"""
    channels = 100 * 50
    nodes = channels * 100
    assert cost(query) == 100 + channels + channels + 2 * nodes + nodes * 20 + nodes * 20 * 10


def test_a_fragment_costs_as_much_per_spread_as_where_it_is_spread() -> None:
    query = """{ myChats(first: 10) { edges { node { ...C } } } chat(id: 1) { ...C } }
        fragment C on Chat { participants { id } lastMessage { id } }"""
    assert cost(query) == (1 + 10 + 10 + 10 * 26) + (1 + 26)


def test_edges_in_a_fragment_on_a_connection_count_as_a_full_page() -> None:
    query = """{ myChats(first: 5) { ...Page } }
        fragment Page on ChatConnection { pageInfo { endCursor } edges { node { id } } }"""
    assert cost(query) == 1 + 1 + PAGE + PAGE


def test_every_branch_of_an_abstract_type_counts() -> None:
    query = """subscription { myEvents {
        ... on MessageCreated { message { author { id } } }
        ... on PresenceChanged { user { id } }
    } }"""
    assert cost(query) == 1 + 2 + 1


def test_introspection_and_unknown_fields_cost_nothing() -> None:
    assert cost("{ __schema { types { fields { type { name } } } } }") == 0
    assert cost("{ nothing { here { id } } me { nope { id } } }") == 1


@pytest.mark.timeout(10)  # walking every spread again would take 2**60 steps
def test_fragments_spread_twice_per_level_are_costed_exactly_in_linear_time() -> None:
    levels = 60
    fragments = " ".join(
        f"fragment F{i} on Chat {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = (
        "{ chat(id: 1) { ...F0 } } "
        + fragments
        + f" fragment F{levels} on Chat {{ space {{ id }} }}"
    )
    assert cost(query) == 1 + 2**levels


def test_a_fragment_cycle_ends_the_walk() -> None:
    query = """{ chat(id: 1) { ...A } }
        fragment A on Chat { space { id } ...B }
        fragment B on Chat { lastMessage { id } ...A }"""
    assert cost(query) == 3


def test_an_operation_within_the_limit_passes_and_one_over_is_refused_with_its_figures() -> None:
    query = "query Page($n: Int) { myChats(first: $n) { edges { node { id } } } }"
    assert refusals(query, 25, {"n": 12}) == []
    [error] = refusals(query, 25, {"n": 13})
    assert error.extensions == {"limit": "cost", "cost": 27, "maxCost": 25}
    assert error.message.startswith("'Page' may cost 27, over the maximum query cost of 25")


def test_every_listed_size_names_a_page_or_a_plain_list_of_the_schema() -> None:
    for table, paged in ((PAGE_MAXIMA, True), (LIST_SIZES, False)):
        for parent, name in table:
            parent_type = SCHEMA.get_type(parent)
            assert isinstance(parent_type, GraphQLObjectType), parent
            field = parent_type.fields[name]
            assert bool({"first", "last"} & set(field.args)) is paged, (parent, name)
            assert paged or is_list_type(get_nullable_type(field.type)), (parent, name)
