"""Per-request DataLoaders: created with the context, never shared between requests.

(loaders.per_event is the one process-wide exception: what the subscriptions one published
event wakes share, and nothing that outlives that event.)
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.presence import PresenceStore
from loaders.chats import ParticipantsLoader, ReadableChatsLoader
from loaders.messages import (
    AttachmentsLoader,
    LastMessageLoader,
    MentionsLoader,
    MessageLoader,
    ReactionsLoader,
    UnreadCountLoader,
)
from loaders.presence import OnlineLoader
from loaders.spaces import MemberCountLoader, MemberRolesLoader
from loaders.users import UserLoader


class Loaders:
    """`viewer_id` is the signed-in user, for what depends on who is looking."""

    def __init__(
        self, session: AsyncSession, viewer_id: int | None = None, *, presence: PresenceStore
    ) -> None:
        self.users = UserLoader(session)
        self.member_counts = MemberCountLoader(session)
        self.member_roles = MemberRolesLoader(session)
        self.participants = ParticipantsLoader(session)
        self.readable_chats = ReadableChatsLoader(session, viewer_id)
        self.messages = MessageLoader(session, self.users)
        self.attachments = AttachmentsLoader(session)
        self.mentions = MentionsLoader(session, self.users)
        self.reactions = ReactionsLoader(session, self.users, viewer_id)
        self.last_messages = LastMessageLoader(session, self.users)
        self.unread_counts = UnreadCountLoader(session, viewer_id)
        self.online = OnlineLoader(presence)
