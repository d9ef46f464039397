"""Who hears of which change: the events resolvers announce (published after commit).

Every change that can alter who may read a chat is announced on a topic that chat's
subscribers listen to (the chat's own, or its space's), so open subscriptions re-check
their rights at once instead of at the next message.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatParticipant, Notification
from infra.events import (
    AccessChanged,
    Event,
    MembershipChange,
    MembershipChanged,
    MessageCreated,
    MessageEvent,
    NotificationCreated,
    TypingStarted,
)
from infra.outbox import announce, chat_topic, space_topic, user_topic


async def message_event(
    session: AsyncSession, chat: Chat, kind: type[MessageEvent], message_id: int
) -> None:
    """A message created, edited or deleted: the chat's stream, and for DIRECT and GROUP
    chats each participant's own stream too."""
    event = kind(chat_id=chat.id, message_id=message_id)
    announce(session, chat_topic(chat.id), event)
    if chat.space_id is not None:
        return
    participants = await session.scalars(
        select(ChatParticipant.user_id).where(ChatParticipant.chat_id == chat.id)
    )
    for user_id in participants:
        announce(session, user_topic(user_id), event)


def space_membership(
    session: AsyncSession, space_id: int, user_id: int, change: MembershipChange
) -> None:
    """Someone joined, left or was removed from a space, or their roles changed."""
    event = MembershipChanged(user_id=user_id, change=change, space_id=space_id)
    _membership(session, space_topic(space_id), event)


def chat_membership(
    session: AsyncSession, chat_id: int, user_id: int, change: MembershipChange
) -> None:
    """Someone was added to, or left, a DIRECT or GROUP chat."""
    event = MembershipChanged(user_id=user_id, change=change, chat_id=chat_id)
    _membership(session, chat_topic(chat_id), event)


def _membership(session: AsyncSession, topic: str, event: MembershipChanged) -> None:
    """MembershipChanged to the space's or chat's readers, and to the user concerned."""
    announce(session, topic, event)
    announce(session, user_topic(event.user_id), event)


def space_access_changed(session: AsyncSession, space_id: int) -> None:
    announce(session, space_topic(space_id), AccessChanged(space_id=space_id))


def chat_access_changed(session: AsyncSession, chat_id: int) -> None:
    announce(session, chat_topic(chat_id), AccessChanged(chat_id=chat_id))


async def notify(session: AsyncSession, notifications: list[Notification]) -> None:
    """Add notifications to the transaction; each recipient hears of theirs."""
    if not notifications:
        return
    session.add_all(notifications)
    await session.flush()
    for notification in notifications:
        event = NotificationCreated(notification_id=notification.id)
        announce(session, user_topic(notification.user_id), event)


def not_news(event: Event, user_id: int, replayed: set[int]) -> bool:
    """Whether a chatEvents subscriber already has the event or needs none: a message the
    replay already sent (with `after`), or the subscriber's own typing.

    Exactly the replayed ids, not every id up to the last one: ids are handed out before
    commit, so a message may commit (and be published) after a later one was replayed.
    Each message is announced once, so its id is forgotten once its event has come.
    """
    if isinstance(event, MessageCreated):
        if event.message_id in replayed:
            replayed.discard(event.message_id)
            return True
        return False
    return isinstance(event, TypingStarted) and event.user_id == user_id
