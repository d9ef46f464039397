"""Who hears of which change: the events resolvers announce (published after commit).

Every change that can alter who may read a chat is announced on a topic that chat's
subscribers listen to (the chat's own, or its space's), so open subscriptions re-check
their rights at once instead of at the next message.
"""

import enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatParticipant, Notification
from infra.outbox import announce, chat_topic, space_topic, user_topic

# Internal: readers of the space's channels must re-check their rights (roles edited,
# ownership handed over, space or channel deleted). Never shown to clients.
ACCESS_CHANGED = "AccessChanged"


class Change(enum.StrEnum):
    JOINED = "JOINED"
    LEFT = "LEFT"
    KICKED = "KICKED"
    BANNED = "BANNED"
    ROLES_CHANGED = "ROLES_CHANGED"


async def message_event(session: AsyncSession, chat: Chat, kind: str, message_id: int) -> None:
    """A message created, edited or deleted: the chat's stream, and for DIRECT and GROUP
    chats each participant's own stream too."""
    announce(session, chat_topic(chat.id), kind, chatId=chat.id, messageId=message_id)
    if chat.space_id is not None:
        return
    participants = await session.scalars(
        select(ChatParticipant.user_id).where(ChatParticipant.chat_id == chat.id)
    )
    for user_id in participants:
        announce(session, user_topic(user_id), kind, chatId=chat.id, messageId=message_id)


def space_membership(session: AsyncSession, space_id: int, user_id: int, change: Change) -> None:
    """Someone joined, left or was removed from a space, or their roles changed."""
    _membership(session, space_topic(space_id), user_id, change, spaceId=space_id)


def chat_membership(session: AsyncSession, chat_id: int, user_id: int, change: Change) -> None:
    """Someone was added to, or left, a DIRECT or GROUP chat."""
    _membership(session, chat_topic(chat_id), user_id, change, chatId=chat_id)


def _membership(
    session: AsyncSession, topic: str, user_id: int, change: Change, **where: int
) -> None:
    """MembershipChanged to the space's or chat's readers, and to the user concerned."""
    payload = {**where, "userId": user_id, "change": change.value}
    announce(session, topic, "MembershipChanged", **payload)
    announce(session, user_topic(user_id), "MembershipChanged", **payload)


def space_access_changed(session: AsyncSession, space_id: int) -> None:
    announce(session, space_topic(space_id), ACCESS_CHANGED, spaceId=space_id)


def chat_access_changed(session: AsyncSession, chat_id: int) -> None:
    announce(session, chat_topic(chat_id), ACCESS_CHANGED, chatId=chat_id)


async def notify(session: AsyncSession, notifications: list[Notification]) -> None:
    """Add notifications to the transaction; each recipient hears of theirs."""
    if not notifications:
        return
    session.add_all(notifications)
    await session.flush()
    for notification in notifications:
        announce(
            session,
            user_topic(notification.user_id),
            "NotificationCreated",
            notificationId=notification.id,
        )
