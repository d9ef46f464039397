"""Scalars whose wire format we pin down beyond Strawberry's defaults."""

import re
from datetime import UTC, datetime

import strawberry
from strawberry.types.scalar import ScalarDefinition

RFC_3339 = "https://datatracker.ietf.org/doc/html/rfc3339"
MULTIPART_REQUEST_SPEC = "https://github.com/jaydenseric/graphql-multipart-request-spec"
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", re.ASCII)
_FORMAT_HINT = "an RFC 3339 date-time with a time zone offset, e.g. 2030-01-01T00:00:00Z"


def parse_date_time(value: object) -> datetime:
    """An instant, in UTC. A time without an offset is refused rather than guessed at:
    a client's local time read as UTC would, say, end a ban hours early."""
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        raise ValueError(f"DateTime must be {_FORMAT_HINT}")
    try:
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except ValueError as exc:
        raise ValueError(f"DateTime must be a real date and time, {_FORMAT_HINT}") from exc
    except OverflowError as exc:  # e.g. 9999-12-31T23:59:59-14:00 is past year 9999 in UTC
        raise ValueError("DateTime is out of range (years 0001 to 9999 in UTC)") from exc


DateTime: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="An instant as an RFC 3339 date-time with a time zone offset, e.g. "
    "`2030-01-01T00:00:00Z` or `2030-01-01T02:00:00+02:00`; answers are in UTC.",
    specified_by_url=RFC_3339,
    serialize=datetime.isoformat,
    parse_value=parse_date_time,
)

# Strawberry's Upload scalar, described and pointing at the spec clients implement
# (apollo-upload-client, urql's multipart fetch): only a multipart request gives its value.
UploadScalar: ScalarDefinition = strawberry.scalar(
    name="Upload",
    description="A file, sent in a multipart request (the GraphQL multipart request spec): "
    "null in `operations`, with `map` pointing a file part at it.",
    specified_by_url=MULTIPART_REQUEST_SPEC,
    serialize=lambda value: value,
    parse_value=lambda value: value,
)
