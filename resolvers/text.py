"""Small text helpers shared by searches."""


def like_prefix(value: str) -> str:
    """A LIKE pattern (escape character backslash) matching strings that start with `value`."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
