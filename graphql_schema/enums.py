"""The API's enums: the domain's own enums, made Strawberry enums here rather than declared
a second time, so that a value added to the domain is one the API knows.

Import them from here: importing this module is what makes them Strawberry enums."""

import strawberry

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

strawberry.enum(ChatKind)
strawberry.enum(MembershipChange, description="How a membership changed.")
strawberry.enum(MessageKind)
strawberry.enum(NotificationKind)
strawberry.enum(PresenceStatus)
# The API names the bit flags; a role's permissions are a list of them.
strawberry.enum(
    Permission, description="Space-level permissions; the owner and ADMINISTRATOR have all."
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
