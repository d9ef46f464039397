"""The Permission enum as the API names it (the same names as the domain's bit flags)."""

import enum

import strawberry

from resolvers.permissions import Permission as PermissionFlag


@strawberry.enum(description="Space-level permissions; the owner and ADMINISTRATOR have all.")
class Permission(enum.Enum):
    ADMINISTRATOR = "ADMINISTRATOR"
    MANAGE_SPACE = "MANAGE_SPACE"
    MANAGE_CHANNELS = "MANAGE_CHANNELS"
    MANAGE_ROLES = "MANAGE_ROLES"
    KICK_MEMBERS = "KICK_MEMBERS"
    BAN_MEMBERS = "BAN_MEMBERS"
    CREATE_INVITES = "CREATE_INVITES"
    VIEW_CHANNELS = "VIEW_CHANNELS"
    SEND_MESSAGES = "SEND_MESSAGES"
    ATTACH_FILES = "ATTACH_FILES"
    ADD_REACTIONS = "ADD_REACTIONS"
    MENTION_EVERYONE = "MENTION_EVERYONE"
    MANAGE_MESSAGES = "MANAGE_MESSAGES"


def permission_names(flags: PermissionFlag) -> list[Permission]:
    return [Permission[flag.name] for flag in PermissionFlag if flag in flags and flag.name]
