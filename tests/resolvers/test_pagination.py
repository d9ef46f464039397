"""Cursors: opaque on the outside, checked on the way in."""

from datetime import UTC, datetime

import pytest

from infra.errors import BadUserInput
from resolvers.pagination import cursor_fields, decode_cursor, encode_cursor, page_request


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
