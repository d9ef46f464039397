"""The API's enums: the domain's own enums, made Strawberry enums here rather than declared
a second time, so that a value added to the domain is one the API knows.

Import them from here: importing this module is what makes them Strawberry enums. Each
value's description is given here too, keyed by the member: a member left out fails at
import."""

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from db.models import ChatKind, MessageKind, NotificationKind, PresenceStatus
from infra.events import MembershipChange
from resolvers.permissions import Permission

__all__ = [
    "ChatKind",
    "MembershipChange",
    "MessageKind",
    "NotificationKind",
    "Permission",
    "PresenceStatus",
    "permission_flags",
    "permission_list",
]


E = TypeVar("E", bound=enum.Enum)


def _describe(cls: type[E], description: str, values: Mapping[E, str]) -> None:
    """Make `cls` a Strawberry enum, with a description for it and for each of its values."""
    strawberry.enum(cls, description=description)
    definition: StrawberryEnumDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values[cls[value.name]]


_describe(
    ChatKind,
    "What kind of conversation a chat is.",
    {
        ChatKind.DIRECT: "Between two users; the same chat every time (openDirectChat).",
        ChatKind.GROUP: "Between up to 25 participants, outside any space.",
        ChatKind.CHANNEL: "In a space; who may read and post follows its roles.",
    },
)
_describe(
    MembershipChange,
    "How a membership changed.",
    {
        MembershipChange.JOINED: "Joined a space, or was added to a chat.",
        MembershipChange.LEFT: "Left a space or a group chat.",
        MembershipChange.KICKED: "Removed from a space; may rejoin.",
        MembershipChange.BANNED: "Removed from a space and kept out.",
        MembershipChange.ROLES_CHANGED: "Given a role or had one taken back.",
    },
)
_describe(
    MessageKind,
    "Who wrote a message.",
    {
        MessageKind.TEXT: "Written by its author.",
        MessageKind.SYSTEM: "From the server, with no author.",
    },
)
_describe(
    NotificationKind,
    "Why a notification was sent.",
    {
        NotificationKind.MENTION: "A message @mentioned you.",
        NotificationKind.REPLY: "A message replied to one of yours.",
        NotificationKind.INVITE: "Reserved: not sent yet.",
        NotificationKind.ROLE_ASSIGNED: "You were given a role.",
        NotificationKind.ROLE_REMOVED: "A role of yours was taken back.",
        NotificationKind.KICKED: "You were kicked from a space.",
        NotificationKind.BANNED: "You were banned from a space.",
    },
)
_describe(
    PresenceStatus,
    "Whether a user is around.",
    {
        PresenceStatus.ONLINE: "Connected and available.",
        PresenceStatus.AWAY: "Connected, but away.",
        PresenceStatus.DND: "Connected; do not disturb.",
        PresenceStatus.INVISIBLE: "Connected, but shown to others as OFFLINE.",
        PresenceStatus.OFFLINE: "Not connected (or INVISIBLE, as others see it).",
    },
)
# The API names the bit flags; a role's permissions are a list of them.
_describe(
    Permission,
    "Space-level permissions; the owner and ADMINISTRATOR have all.",
    {
        Permission.ADMINISTRATOR: "Every permission.",
        Permission.MANAGE_SPACE: "Change the space's name, description, visibility and images.",
        Permission.MANAGE_CHANNELS: "Create, change and delete channels and their overwrites.",
        Permission.MANAGE_ROLES: "Create, edit, delete, assign and remove lower roles.",
        Permission.KICK_MEMBERS: "Remove lower-ranked members.",
        Permission.BAN_MEMBERS: "Ban and unban lower-ranked users; see the bans.",
        Permission.CREATE_INVITES: "Create invite codes.",
        Permission.VIEW_CHANNELS: "Read channels; channel-scoped.",
        Permission.SEND_MESSAGES: "Post and edit one's messages, and type; channel-scoped.",
        Permission.ATTACH_FILES: "Send attachments; channel-scoped.",
        Permission.ADD_REACTIONS: "React to messages; channel-scoped.",
        Permission.MENTION_EVERYONE: "Make @everyone count (mentionsEveryone); channel-scoped.",
        Permission.MANAGE_MESSAGES: "Delete others' messages; channel-scoped.",
        Permission.PIN_MESSAGES: "Pin and unpin messages; channel-scoped.",
    },
)


def permission_flags(permissions: list[Permission]) -> Permission:
    """The flags set of a list of permissions (the reverse of `permission_list`)."""
    flags = Permission(0)
    for permission in permissions:
        flags |= permission
    return flags


def permission_list(flags: Permission) -> list[Permission]:
    """The single flags set in `flags`, in declaration order."""
    return [flag for flag in Permission if flag in flags]
