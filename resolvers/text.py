"""Small text helpers shared by searches."""

from infra.errors import BadUserInput

SEARCH_QUERY_MAX = 100  # the longest space name


def search_prefix(query: str | None, *, field: str = "query") -> str:
    """The normalised prefix a search looks for ("" for none); BAD_USER_INPUT past the limit,
    which keeps every search's LIKE pattern small whatever the caller sends."""
    prefix = (query or "").strip().lower()
    if len(prefix) > SEARCH_QUERY_MAX:
        raise BadUserInput(f"A search has at most {SEARCH_QUERY_MAX} characters", field=field)
    return prefix


def like_prefix(value: str) -> str:
    """A LIKE pattern (escape character backslash) matching strings that start with `value`."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
