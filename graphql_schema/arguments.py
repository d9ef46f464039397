"""Argument types that recur across the schema, each with its description."""

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload


def _id(type_name: str) -> object:
    return strawberry.argument(description=f"A {type_name} id.")


SpaceId = Annotated[strawberry.ID, _id("Space")]
UserId = Annotated[strawberry.ID, _id("User")]
ChatId = Annotated[strawberry.ID, _id("Chat")]
RoleId = Annotated[strawberry.ID, _id("Role")]
MessageId = Annotated[strawberry.ID, _id("Message")]
ImageFile = Annotated[Upload, strawberry.argument(description="A PNG, JPEG, GIF or WebP image.")]

# Forward pages: `first` after the cursor `after` (an edge's cursor or pageInfo.endCursor).
First = Annotated[
    int | None, strawberry.argument(description="Page size, at most 100 (default 20).")
]
After = Annotated[
    str | None, strawberry.argument(description="Start after this cursor (pageInfo.endCursor).")
]

# Message history pages forward (first/after, from the oldest) or backward (last/before).
HistoryFirst = Annotated[
    int | None,
    strawberry.argument(description="Page forward: this many after `after`, at most 100."),
]
HistoryAfter = Annotated[
    str | None,
    strawberry.argument(description="Page forward from this cursor; none: from the oldest."),
]
HistoryLast = Annotated[
    int | None,
    strawberry.argument(description="Page backward: this many before `before` (default 50)."),
]
HistoryBefore = Annotated[
    str | None,
    strawberry.argument(description="Page backward from this cursor; none: from the newest."),
]
