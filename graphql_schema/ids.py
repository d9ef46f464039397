"""Opaque global IDs: base64 of "Type:pk"."""

import base64
import binascii

from db.base import MAX_ID
from infra.errors import BadUserInput


def to_global_id(type_name: str, *pks: int) -> str:
    """A Node's id from its pk; an entity keyed by a pair (a Member: space and user) gives
    both, so its id stays the same wherever it shows up ("Member:space:user")."""
    key = ":".join(str(pk) for pk in pks)
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def parse_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, pk), or None when the id is not one of ours."""
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not (type_name and pk.isascii() and pk.isdigit() and len(pk) <= len(str(MAX_ID))):
        return None
    if not 1 <= int(pk) <= MAX_ID:
        return None
    return type_name, int(pk)


def pk_from_global_id(global_id: str, type_name: str, *, field: str = "id") -> int:
    """The pk of a `type_name` id; BAD_USER_INPUT for anything else."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        raise BadUserInput(f"Not a valid {type_name} id", field=field)
    return parsed[1]
