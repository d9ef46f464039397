"""The events resolvers announce, as typed values, and their one wire form.

An event names what changed by ids, never rendered data: each subscriber loads what its
own query asks for, with its own rights, when the event arrives. On the wire (the
broadcast, shared by every process) an event is a JSON object: its `kind` (the class name)
and its fields in camelCase, e.g. {"kind": "MessageCreated", "chatId": 1, "messageId": 2}.
"""

import enum
import json
from dataclasses import asdict, dataclass, fields
from typing import Any


class MembershipChange(enum.StrEnum):
    JOINED = "JOINED"
    LEFT = "LEFT"
    KICKED = "KICKED"
    BANNED = "BANNED"
    ROLES_CHANGED = "ROLES_CHANGED"


@dataclass(frozen=True, slots=True)
class _OfMessage:
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class MessageCreated(_OfMessage):
    pass


@dataclass(frozen=True, slots=True)
class MessageUpdated(_OfMessage):
    pass


@dataclass(frozen=True, slots=True)
class MessageDeleted(_OfMessage):
    pass


@dataclass(frozen=True, slots=True)
class ReactionChanged:
    chat_id: int
    message_id: int
    emoji: str
    user_id: int
    added: bool


@dataclass(frozen=True, slots=True)
class TypingStarted:
    chat_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """In a space (`space_id`) or a DIRECT or GROUP chat (`chat_id`)."""

    user_id: int
    change: MembershipChange
    space_id: int | None = None
    chat_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """Internal, never shown to clients: the readers of a space's channels (`space_id`) or
    of one chat (`chat_id`) must re-check their rights (roles edited, ownership handed
    over, space or channel deleted)."""

    space_id: int | None = None
    chat_id: int | None = None


@dataclass(frozen=True, slots=True)
class NotificationCreated:
    notification_id: int


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    user_id: int
    status: str  # a PresenceStatus value


@dataclass(frozen=True, slots=True)
class AccountDeleted:
    """Internal, never shown to clients: every process closes the user's sockets."""

    user_id: int


MessageEvent = MessageCreated | MessageUpdated | MessageDeleted
Event = (
    MessageEvent
    | ReactionChanged
    | TypingStarted
    | MembershipChanged
    | AccessChanged
    | NotificationCreated
    | PresenceChanged
    | AccountDeleted
)
KINDS: dict[str, type[Event]] = {
    kind.__name__: kind
    for kind in (
        MessageCreated,
        MessageUpdated,
        MessageDeleted,
        ReactionChanged,
        TypingStarted,
        MembershipChanged,
        AccessChanged,
        NotificationCreated,
        PresenceChanged,
        AccountDeleted,
    )
}


class UnknownEvent(ValueError):
    """A message on the broadcast that is not an event of ours (or not of this version)."""


def encode(event: Event) -> str:
    wire = {_camel(name): value for name, value in asdict(event).items() if value is not None}
    return json.dumps({"kind": type(event).__name__, **wire})


def decode(text: str | bytes) -> Event:
    """The event `encode` wrote; UnknownEvent for anything else."""
    try:
        wire: dict[str, Any] = json.loads(text)
        kind = KINDS[wire["kind"]]
        values = {
            field.name: wire[_camel(field.name)]
            for field in fields(kind)
            if _camel(field.name) in wire
        }
        if kind is MembershipChanged:
            values["change"] = MembershipChange(values["change"])
        return kind(**values)
    except (ValueError, KeyError, TypeError) as exc:
        raise UnknownEvent(f"not an event: {text[:200]!r}") from exc


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
