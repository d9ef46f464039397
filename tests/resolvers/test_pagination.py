"""Cursors: opaque on the outside, checked on the way in."""

from datetime import UTC, datetime

import pytest

from infra.errors import BadUserInput
from resolvers.pagination import (
    MESSAGE_PAGE,
    Page,
    cursor_fields,
    decode_cursor,
    encode_cursor,
    page_request,
)


def test_cursor_round_trips_its_values() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    values = decode_cursor(encode_cursor(moment.isoformat(), 42), field="after")
    assert cursor_fields(values, (datetime, int), field="after") == (moment, 42)


@pytest.mark.parametrize(
    ("values", "kinds"),
    [
        ([2**63], (int,)),
        ([-1], (int,)),
        ([True], (int,)),
        (["7"], (int,)),
        ([1, 2], (int,)),
        ([1], (str,)),
        (["2026-01-02T03:04:05"], (datetime,)),  # no zone
        (["yesterday"], (datetime,)),
    ],
)
def test_cursor_values_of_the_wrong_kind_are_bad_input(values: list, kinds: tuple) -> None:
    with pytest.raises(BadUserInput) as caught:
        cursor_fields(values, kinds, field="after")
    assert caught.value.extensions == {"field": "after"}


@pytest.mark.parametrize("cursor", ["!!!", "e30", encode_cursor()])
def test_undecodable_cursors_are_bad_input(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(cursor, field="before")


@pytest.mark.parametrize("first", [0, -5, 101])
def test_page_sizes_outside_the_bounds_are_bad_input(first: int) -> None:
    with pytest.raises(BadUserInput):
        page_request(first, None)


def test_page_size_defaults_and_bounds() -> None:
    assert page_request(None, None).limit == 20
    assert page_request(100, None).limit == 100


def test_message_pages_default_to_fifty() -> None:
    assert page_request(None, None, default=MESSAGE_PAGE).limit == 50


def test_bad_input_names_the_arguments_of_the_connection() -> None:
    with pytest.raises(BadUserInput) as caught:
        page_request(0, None, size_field="last", cursor_field="before")
    assert caught.value.extensions == {"field": "last"}
    with pytest.raises(BadUserInput) as caught:
        page_request(None, "!!!", size_field="last", cursor_field="before").position(int)
    assert caught.value.extensions == {"field": "before"}
    with pytest.raises(BadUserInput) as caught:
        page_request(None, encode_cursor("7"), cursor_field="before").position(int)
    assert caught.value.extensions == {"field": "before"}


def test_a_request_without_a_cursor_has_no_position() -> None:
    assert page_request(5, None).position(int) is None
    assert page_request(5, encode_cursor("a", 3)).position(str, int) == ("a", 3)


def test_a_forward_page_keeps_the_limit_and_encodes_each_rows_cursor() -> None:
    fetched = [10, 11, 12]  # one more than the limit: there is a next page
    page = Page.forward(fetched, page_request(2, None), lambda row: (row,))
    assert page.rows == [10, 11]
    assert [decode_cursor(cursor, field="after") for cursor in page.cursors] == [[10], [11]]
    assert (page.has_next, page.has_previous) == (True, False)


def test_a_page_after_a_cursor_has_a_previous_page() -> None:
    page = Page.forward([12], page_request(2, encode_cursor(11)), lambda row: (row,))
    assert (page.rows, page.has_next, page.has_previous) == ([12], False, True)
