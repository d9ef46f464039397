"""What a query selects below a field, fragments included, to load only what it asks for."""

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection


def fields_at(selections: Iterable[Selection], *path: str) -> set[str]:
    """The names of the fields selected at `path` below `selections` (`"edges", "node"`
    for a connection's nodes), through fragments and inline fragments."""
    level = list(_fields(selections))
    for name in path:
        level = [
            child for field in level if field.name == name for child in _fields(field.selections)
        ]
    return {field.name for field in level}


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)
