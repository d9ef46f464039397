"""DataLoaders, in two kinds: `Loaders`, made per unit (one request, or one socket operation
or event) and never shared between units; and the one process-wide batcher of published
events (loaders.event_batch), which keeps only who watches what and, for each event, the
answers the subscriptions it wakes share, in a session of its own that ends with the work.
"""

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, Space
from infra.presence import PresenceStore
from loaders.chats import ChatAccessLoader, ParticipantsLoader
from loaders.messages import (
    AttachmentsLoader,
    LastMessageLoader,
    MentionsLoader,
    MessageLoader,
    ReactionsLoader,
    ReadableMessageLoader,
    UnreadCountLoader,
)
from loaders.pins import PinnedMessagesLoader
from loaders.presence import OnlineLoader
from loaders.revisions import EditHistoryLoader
from loaders.rows import RowLoader
from loaders.spaces import MemberCountLoader, MemberRolesLoader
from loaders.users import UserLoader
from loaders.viewer_among import ViewerAmongLoader
from resolvers.permissions import blocked_among, presence_visible_among


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
    def chats(self) -> RowLoader[Chat]:
        return RowLoader(self.session, Chat)

    @cached_property
    def spaces(self) -> RowLoader[Space]:
        return RowLoader(self.session, Space)

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
    def chat_access(self) -> ChatAccessLoader:
        return ChatAccessLoader(self.session, self.viewer_id)

    @cached_property
    def messages(self) -> MessageLoader:
        return MessageLoader(self.session, self.users)

    @cached_property
    def readable_messages(self) -> ReadableMessageLoader:
        return ReadableMessageLoader(self.messages, self.chat_access)

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
    def pinned_messages(self) -> PinnedMessagesLoader:
        return PinnedMessagesLoader(self.session, self.users)

    @cached_property
    def edit_histories(self) -> EditHistoryLoader:
        return EditHistoryLoader(self.session)

    @cached_property
    def last_messages(self) -> LastMessageLoader:
        return LastMessageLoader(self.session, self.users)

    @cached_property
    def unread_counts(self) -> UnreadCountLoader:
        return UnreadCountLoader(self.session, self.viewer_id)

    @cached_property
    def online(self) -> OnlineLoader:
        return OnlineLoader(self.presence)

    @cached_property
    def viewer_blocked(self) -> ViewerAmongLoader:
        """Whom the viewer has blocked, one statement per batch."""
        return ViewerAmongLoader(self.session, self.viewer_id, blocked_among)

    @cached_property
    def presence_visible(self) -> ViewerAmongLoader:
        """Whose presence the viewer may see, at most three statements per batch."""
        return ViewerAmongLoader(self.session, self.viewer_id, presence_visible_among)
