"""Keyset pagination: opaque cursors over the sort key, never OFFSET.

The domain owns both ends: it validates a page request, decodes the cursor it is given
and encodes the cursor of every row it returns, so the API only maps a `Page` to edges.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from db.base import MAX_ID
from infra.errors import BadUserInput

DEFAULT_PAGE = 20
MESSAGE_PAGE = 50  # message history shows more at once (the README documents both)
MAX_PAGE = 100
# Ours encode a sort key of a few values (at most a 100-character name and an id); a longer
# one was not made here, and decoding it would only cost time.
CURSOR_MAX = 1024

Row = TypeVar("Row")


@dataclass(frozen=True)
class PageRequest:
    """A validated page size and the cursor's values, decoded but not yet checked against
    the sort key (only the resolver knows its kinds: see `position`)."""

    limit: int
    cursor: list[Any] | None
    cursor_field: str = "after"

    def position(self, *kinds: type) -> tuple[Any, ...] | None:
        """The sort key the cursor names, checked against `kinds`; None without a cursor."""
        if self.cursor is None:
            return None
        return cursor_fields(self.cursor, kinds, field=self.cursor_field)


@dataclass(frozen=True)
class Page(Generic[Row]):
    """Rows in the order shown, each with the cursor that names it."""

    rows: list[Row]
    cursors: list[str]
    has_next: bool
    has_previous: bool

    @classmethod
    def empty(cls) -> "Page[Row]":
        return cls([], [], has_next=False, has_previous=False)

    @classmethod
    def of(
        cls,
        rows: Sequence[Row],
        sort_key: Callable[[Row], tuple[Any, ...]],
        *,
        has_next: bool,
        has_previous: bool,
    ) -> "Page[Row]":
        return cls(
            list(rows),
            [encode_cursor(*sort_key(row)) for row in rows],
            has_next=has_next,
            has_previous=has_previous,
        )

    @classmethod
    def forward(
        cls,
        fetched: Sequence[Row],
        request: PageRequest,
        sort_key: Callable[[Row], tuple[Any, ...]],
    ) -> "Page[Row]":
        """The page from rows fetched after the cursor with one more than the limit (which
        tells whether there is a next page); a cursor always names a row, so there is a
        previous page whenever there is a cursor."""
        return cls.of(
            fetched[: request.limit],
            sort_key,
            has_next=len(fetched) > request.limit,
            has_previous=request.cursor is not None,
        )


def page_request(
    size: int | None,
    cursor: str | None,
    *,
    default: int = DEFAULT_PAGE,
    size_field: str = "first",
    cursor_field: str = "after",
) -> PageRequest:
    """Validate the page size (1..MAX_PAGE, `default` when absent) and decode the cursor."""
    limit = default if size is None else size
    if not 1 <= limit <= MAX_PAGE:
        raise BadUserInput(f"{size_field} must be between 1 and {MAX_PAGE}", field=size_field)
    values = decode_cursor(cursor, field=cursor_field) if cursor else None
    return PageRequest(limit, values, cursor_field)


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str) -> list[Any]:
    if len(cursor) > CURSOR_MAX:
        raise BadUserInput("Invalid cursor", field=field)
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:  # (UnicodeError is a ValueError)
        raise BadUserInput("Invalid cursor", field=field) from exc
    if not isinstance(values, list) or not values:
        raise BadUserInput("Invalid cursor", field=field)
    return values


def cursor_fields(values: list[Any], kinds: tuple[type, ...], *, field: str) -> tuple[Any, ...]:
    """The cursor's values checked against what the sort key holds: ids (within BIGINT),
    text, or timestamps (ISO strings, returned as datetimes)."""
    if len(values) != len(kinds):
        raise BadUserInput("Invalid cursor", field=field)
    checked: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        if kind is int and not isinstance(value, bool) and isinstance(value, int):
            if 0 <= value <= MAX_ID:
                checked.append(value)
                continue
        elif kind is str and isinstance(value, str):
            checked.append(value)
            continue
        elif kind is datetime and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                checked.append(moment)
                continue
        raise BadUserInput("Invalid cursor", field=field)
    return tuple(checked)
