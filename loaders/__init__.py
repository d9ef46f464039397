"""Per-request DataLoaders: created with the context, never shared between requests.

(loaders.per_event is the one process-wide exception: what the subscriptions one published
event wakes share, and nothing that outlives that event.)
"""

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from infra.presence import PresenceStore
from loaders.chats import ParticipantsLoader, ReadableChatsLoader
from loaders.messages import (
    AttachmentsLoader,
    LastMessageLoader,
    MentionsLoader,
    MessageLoader,
    ReactionsLoader,
    ReadableMessageLoader,
    UnreadCountLoader,
)
from loaders.presence import OnlineLoader
from loaders.spaces import MemberCountLoader, MemberRolesLoader
from loaders.users import UserLoader


class Loaders:
    """`viewer_id` is the signed-in user, for what depends on who is looking.

    Each loader is made on first use: a subscription event's unit often needs none of them,
    and a socket makes a unit per event.
    """

    def __init__(
        self, session: AsyncSession, viewer_id: int | None = None, *, presence: PresenceStore
    ) -> None:
        self.session, self.viewer_id, self.presence = session, viewer_id, presence

    @cached_property
    def users(self) -> UserLoader:
        return UserLoader(self.session)

    @cached_property
    def member_counts(self) -> MemberCountLoader:
        return MemberCountLoader(self.session)

    @cached_property
    def member_roles(self) -> MemberRolesLoader:
        return MemberRolesLoader(self.session)

    @cached_property
    def participants(self) -> ParticipantsLoader:
        return ParticipantsLoader(self.session)

    @cached_property
    def readable_chats(self) -> ReadableChatsLoader:
        return ReadableChatsLoader(self.session, self.viewer_id)

    @cached_property
    def messages(self) -> MessageLoader:
        return MessageLoader(self.session, self.users)

    @cached_property
    def readable_messages(self) -> ReadableMessageLoader:
        return ReadableMessageLoader(self.messages, self.readable_chats)

    @cached_property
    def attachments(self) -> AttachmentsLoader:
        return AttachmentsLoader(self.session)

    @cached_property
    def mentions(self) -> MentionsLoader:
        return MentionsLoader(self.session, self.users)

    @cached_property
    def reactions(self) -> ReactionsLoader:
        return ReactionsLoader(self.session, self.users, self.viewer_id)

    @cached_property
    def last_messages(self) -> LastMessageLoader:
        return LastMessageLoader(self.session, self.users)

    @cached_property
    def unread_counts(self) -> UnreadCountLoader:
        return UnreadCountLoader(self.session, self.viewer_id)

    @cached_property
    def online(self) -> OnlineLoader:
        return OnlineLoader(self.presence)
