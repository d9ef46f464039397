"""The permission bits a role grants, and what they add up to for a member."""

import enum


class Permission(enum.IntFlag):
    ADMINISTRATOR = 1 << 0
    MANAGE_SPACE = 1 << 1
    MANAGE_CHANNELS = 1 << 2
    MANAGE_ROLES = 1 << 3
    KICK_MEMBERS = 1 << 4
    BAN_MEMBERS = 1 << 5
    CREATE_INVITES = 1 << 6
    VIEW_CHANNELS = 1 << 7
    SEND_MESSAGES = 1 << 8
    ATTACH_FILES = 1 << 9
    ADD_REACTIONS = 1 << 10
    MENTION_EVERYONE = 1 << 11
    MANAGE_MESSAGES = 1 << 12
    PIN_MESSAGES = 1 << 13


ALL_PERMISSIONS = Permission(sum(Permission))
# What a per-channel overwrite may allow or deny; the rest holds space-wide.
CHANNEL_PERMISSIONS = (
    Permission.VIEW_CHANNELS
    | Permission.SEND_MESSAGES
    | Permission.ATTACH_FILES
    | Permission.ADD_REACTIONS
    | Permission.MENTION_EVERYONE
    | Permission.MANAGE_MESSAGES
    | Permission.PIN_MESSAGES
)
DEFAULT_ROLE_PERMISSIONS = (
    Permission.VIEW_CHANNELS
    | Permission.SEND_MESSAGES
    | Permission.ATTACH_FILES
    | Permission.ADD_REACTIONS
    | Permission.CREATE_INVITES
)


def effective_permissions(granted: Permission, *, is_owner: bool) -> Permission:
    """A member's effective permissions: the owner and ADMINISTRATOR have all."""
    if is_owner or Permission.ADMINISTRATOR in granted:
        return ALL_PERMISSIONS
    return granted
