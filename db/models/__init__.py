"""Every table of The Space; import from here."""

from db.models.chats import ChannelOverwrite, Chat, ChatKind, ChatParticipant, ReadMarker
from db.models.messages import (
    Attachment,
    Mention,
    Message,
    MessageKind,
    MessageRevision,
    Reaction,
)
from db.models.notifications import Notification, NotificationKind
from db.models.spaces import (
    Ban,
    Invite,
    MemberRole,
    ModerationAction,
    Role,
    Space,
    SpaceMember,
)
from db.models.users import DeviceSession, PresenceStatus, RefreshToken, User, UserBlock

__all__ = [
    "Attachment",
    "Ban",
    "ChannelOverwrite",
    "Chat",
    "ChatKind",
    "ChatParticipant",
    "DeviceSession",
    "Invite",
    "MemberRole",
    "Mention",
    "Message",
    "MessageKind",
    "MessageRevision",
    "ModerationAction",
    "Notification",
    "NotificationKind",
    "PresenceStatus",
    "Reaction",
    "ReadMarker",
    "RefreshToken",
    "Role",
    "Space",
    "SpaceMember",
    "User",
    "UserBlock",
]
