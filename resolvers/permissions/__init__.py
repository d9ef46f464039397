"""The one place that decides what a user may see and do.

Space rights, the role hierarchy and ownership (`spaces`), chat visibility
(`chats`, where `channel_permissions` is the one function every channel decision comes
down to), authorship (`messages`), what is a user's own (`personal`), whose presence one
sees (`presence`) and what blocking takes away (`blocks`). Every resolver asks here; no
other module checks membership, compares ranks, or compares owner, author or recipient ids
to decide who may do what.
"""

from resolvers.permissions.blocks import (
    blocked_among,
    blockers_among,
    hides_blocked_typing,
    require_direct_sendable,
    require_not_blocked_by,
)
from resolvers.permissions.chats import (
    ChatAccess,
    Overwrite,
    channel_permissions,
    chat_access,
    chat_accesses,
    message_access,
    readers_among,
    viewers_among,
    visible_channels,
    visible_chat,
    visible_chat_ids,
)
from resolvers.permissions.flags import CHANNEL_PERMISSIONS, DEFAULT_ROLE_PERMISSIONS, Permission
from resolvers.permissions.messages import (
    may_delete,
    may_edit,
    may_pin,
    may_react,
    may_send,
    require_deletable,
    require_editable,
    require_pinnable,
    require_reactable,
    require_sendable,
)
from resolvers.permissions.personal import is_self, owns_notification
from resolvers.permissions.presence import presence_audience, presence_visible_among
from resolvers.permissions.spaces import (
    Standing,
    active_ban,
    granted_among,
    is_member,
    may_ban,
    may_kick,
    may_manage_roles_of,
    member_standing,
    moderation_target,
    owner_standing,
    require,
    standing,
    standing_of_member,
    standings,
    visible_space,
)

__all__ = [
    "CHANNEL_PERMISSIONS",
    "DEFAULT_ROLE_PERMISSIONS",
    "ChatAccess",
    "Overwrite",
    "Permission",
    "Standing",
    "active_ban",
    "blocked_among",
    "blockers_among",
    "channel_permissions",
    "chat_access",
    "chat_accesses",
    "granted_among",
    "hides_blocked_typing",
    "is_member",
    "is_self",
    "may_ban",
    "may_delete",
    "may_edit",
    "may_kick",
    "may_manage_roles_of",
    "may_pin",
    "may_react",
    "may_send",
    "member_standing",
    "message_access",
    "moderation_target",
    "owner_standing",
    "owns_notification",
    "presence_audience",
    "presence_visible_among",
    "readers_among",
    "require",
    "require_deletable",
    "require_direct_sendable",
    "require_editable",
    "require_not_blocked_by",
    "require_pinnable",
    "require_reactable",
    "require_sendable",
    "standing",
    "standing_of_member",
    "standings",
    "viewers_among",
    "visible_channels",
    "visible_chat",
    "visible_chat_ids",
    "visible_space",
]
