"""Keyset pagination: opaque cursors over the sort key, never OFFSET."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.base import MAX_ID
from infra.errors import BadUserInput

DEFAULT_PAGE = 20
MAX_PAGE = 100
# Ours encode a sort key of a few values (at most a 100-character name and an id); a longer
# one was not made here, and decoding it would only cost time.
CURSOR_MAX = 1024


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: list[Any] | None


def page_request(
    first: int | None, after: str | None, *, default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE
) -> PageRequest:
    """Validate `first` (1..maximum, default when absent) and decode `after`."""
    limit = default if first is None else first
    if not 1 <= limit <= maximum:
        raise BadUserInput(f"first must be between 1 and {maximum}", field="first")
    return PageRequest(limit, decode_cursor(after, field="after") if after else None)


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
