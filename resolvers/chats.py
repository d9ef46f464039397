"""Channels of a space, and direct and group chats between users."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatKind, ChatParticipant, User
from infra.errors import BadUserInput, NotFound
from infra.events import MembershipChange, TypingStarted
from infra.outbox import chat_topic
from infra.publisher import Publisher
from infra.rate_limits import TYPING_PER_CHAT, RateLimiter, Write
from infra.storage import Storage
from resolvers import attachments
from resolvers.announcements import chat_access_changed, chat_membership
from resolvers.pagination import Page, PageRequest
from resolvers.permissions import (
    ChatAccess,
    Permission,
    Standing,
    chat_access,
    require,
    require_not_blocked_by,
    visible_channels,
    visible_chat,
)

TITLE_MAX = 100
TOPIC_MAX = 1024
GROUP_MAX_PARTICIPANTS = 25


@dataclass(frozen=True)
class ChannelFields:
    title: str
    topic: str | None = None


def _title(value: str) -> str:
    title = value.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise BadUserInput(f"Title must be 1-{TITLE_MAX} characters", field="title")
    return title


def _topic(value: str | None) -> str | None:
    topic = (value or "").strip()
    if len(topic) > TOPIC_MAX:
        raise BadUserInput(f"Topic must be at most {TOPIC_MAX} characters", field="topic")
    return topic or None


async def create_channel(
    session: AsyncSession, limiter: RateLimiter, user: User, space_id: int, fields: ChannelFields
) -> Chat:
    await require(session, space_id, user.id, Permission.MANAGE_CHANNELS)
    channel = Chat(
        kind=ChatKind.CHANNEL,
        space_id=space_id,
        title=_title(fields.title),
        topic=_topic(fields.topic),
        creator_id=user.id,
    )
    await limiter.hit_write(Write.CHANNEL, user.id)
    session.add(channel)
    await session.commit()
    return channel


async def update_channel(
    session: AsyncSession, limiter: RateLimiter, user: User, chat_id: int, fields: ChannelFields
) -> Chat:
    """Rename; the topic changes only when given (an empty topic clears it)."""
    channel = (await managed_channel(session, user, chat_id)).chat
    await limiter.hit_write(Write.CHANNEL, user.id)
    channel.title = _title(fields.title)
    if fields.topic is not None:
        channel.topic = _topic(fields.topic)
    await session.commit()
    return channel


async def delete_channel(
    session: AsyncSession, attachments_storage: Storage, user: User, chat_id: int
) -> bool:
    """Removes the channel with its messages and their files."""
    channel = (await managed_channel(session, user, chat_id)).chat
    doomed = select(Chat.id).where(Chat.id == channel.id)
    remove_files = await attachments.delete_with_chats(session, attachments_storage, doomed)
    await session.delete(channel)
    chat_access_changed(session, channel.id)
    await session.commit()
    await remove_files()
    return True


async def readable_channels(session: AsyncSession, standing: Standing) -> list[Chat]:
    """The channels of the space (of `standing`) its user may read; none for non-members."""
    if not standing.is_member:
        return []
    statement = select(Chat).where(Chat.space_id == standing.space.id).order_by(Chat.id)
    return await visible_channels(session, standing, list(await session.scalars(statement)))


async def open_direct_chat(
    session: AsyncSession, limiter: RateLimiter, user: User, other_id: int
) -> Chat:
    """The one DIRECT chat of this pair, created on first use (only which counts against
    the rate limit)."""
    if other_id == user.id:
        raise BadUserInput("You cannot open a direct chat with yourself", field="userId")
    if await session.get(User, other_id) is None:
        raise NotFound("User not found")
    await require_not_blocked_by(session, [other_id], user.id)
    key = f"{min(user.id, other_id)}:{max(user.id, other_id)}"
    existing = await session.scalar(select(Chat).where(Chat.direct_key == key))
    if existing is not None:
        return existing
    await limiter.hit_write(Write.CHAT, user.id)
    chat = Chat(kind=ChatKind.DIRECT, direct_key=key, creator_id=user.id)
    session.add(chat)
    try:
        await session.flush()
        session.add_all(
            [ChatParticipant(chat_id=chat.id, user_id=uid) for uid in (user.id, other_id)]
        )
        for uid in (user.id, other_id):
            chat_membership(session, chat.id, uid, MembershipChange.JOINED)
        await session.commit()
    except IntegrityError:  # the other side opened it at the same moment
        await session.rollback()
        return (await session.scalars(select(Chat).where(Chat.direct_key == key))).one()
    return chat


async def create_group_chat(
    session: AsyncSession, limiter: RateLimiter, user: User, title: str | None, user_ids: list[int]
) -> Chat:
    members = {user.id, *user_ids}
    if len(members) < 2:
        raise BadUserInput("A group needs at least one other participant", field="userIds")
    if len(members) > GROUP_MAX_PARTICIPANTS:
        raise BadUserInput(
            f"A group has at most {GROUP_MAX_PARTICIPANTS} participants", field="userIds"
        )
    found = set(await session.scalars(select(User.id).where(User.id.in_(members))))
    if found != members:
        raise NotFound("User not found")
    await require_not_blocked_by(session, members, user.id)
    chat = Chat(
        kind=ChatKind.GROUP,
        title=_title(title) if title is not None and title.strip() else None,
        creator_id=user.id,
    )
    await limiter.hit_write(Write.CHAT, user.id)
    session.add(chat)
    await session.flush()
    session.add_all([ChatParticipant(chat_id=chat.id, user_id=uid) for uid in sorted(members)])
    for uid in sorted(members):
        chat_membership(session, chat.id, uid, MembershipChange.JOINED)
    await session.commit()
    return chat


async def add_participant(
    session: AsyncSession, limiter: RateLimiter, user: User, chat_id: int, other_id: int
) -> Chat:
    """Add someone to a group chat; adding a participant again is harmless (not counted)."""
    chat = await visible_chat(session, chat_id, user.id)
    if chat.kind is not ChatKind.GROUP:
        raise BadUserInput("Participants can only be added to group chats", field="chatId")
    if await session.get(User, other_id) is None:
        raise NotFound("User not found")
    if await session.get(ChatParticipant, (chat.id, other_id)) is not None:
        return chat
    await require_not_blocked_by(session, [other_id], user.id)
    count = await session.scalar(select(func.count()).where(ChatParticipant.chat_id == chat.id))
    if (count or 0) >= GROUP_MAX_PARTICIPANTS:
        raise BadUserInput(
            f"A group has at most {GROUP_MAX_PARTICIPANTS} participants", field="userId"
        )
    await limiter.hit_write(Write.CHAT, user.id)
    session.add(ChatParticipant(chat_id=chat.id, user_id=other_id))
    chat_membership(session, chat.id, other_id, MembershipChange.JOINED)
    try:
        await session.commit()
    except IntegrityError:  # added by someone else at the same moment
        await session.rollback()
    return chat


async def leave_chat(session: AsyncSession, user: User, chat_id: int) -> bool:
    chat = await visible_chat(session, chat_id, user.id)
    if chat.kind is not ChatKind.GROUP:
        raise BadUserInput("Only group chats can be left", field="chatId")
    await session.execute(
        delete(ChatParticipant).where(
            ChatParticipant.chat_id == chat.id, ChatParticipant.user_id == user.id
        )
    )
    chat_membership(session, chat.id, user.id, MembershipChange.LEFT)
    await session.commit()
    return True


async def my_chats(session: AsyncSession, user: User, page: PageRequest) -> Page[Chat]:
    """The caller's DIRECT and GROUP chats, most recent activity first."""
    statement = (
        select(Chat)
        .join(ChatParticipant, ChatParticipant.chat_id == Chat.id)
        .where(ChatParticipant.user_id == user.id)
    )
    if (position := page.position(datetime, int)) is not None:
        statement = statement.where(tuple_(Chat.last_activity_at, Chat.id) < tuple_(*position))
    statement = statement.order_by(Chat.last_activity_at.desc(), Chat.id.desc()).limit(
        page.limit + 1
    )
    rows = list(await session.scalars(statement))
    return Page.forward(rows, page, lambda chat: (chat.last_activity_at.isoformat(), chat.id))


async def find_visible_chat(session: AsyncSession, user: User, chat_id: int) -> Chat | None:
    try:
        return await visible_chat(session, chat_id, user.id)
    except NotFound:
        return None


async def managed_channel(session: AsyncSession, user: User, chat_id: int) -> ChatAccess:
    """The caller's access to a channel it may manage (MANAGE_CHANNELS); NOT_FOUND for a
    chat that is no channel or that it cannot see."""
    access = await chat_access(session, chat_id, user.id)
    if access.standing is None:
        raise NotFound("Channel not found")
    access.require(Permission.MANAGE_CHANNELS)
    return access


async def announce_typing(
    session: AsyncSession, limiter: RateLimiter, publisher: Publisher, user: User, chat_id: int
) -> bool:
    """Tell the chat's readers `user` is typing, unless throttled (False): SEND_MESSAGES,
    and one notice per 3 s per user and chat. Nothing is written, so nothing waits for a
    commit: the notice goes out at once (infra.outbox)."""
    access = await chat_access(session, chat_id, user.id)
    access.require(Permission.SEND_MESSAGES)
    if not await limiter.allow(TYPING_PER_CHAT, "typing", str(chat_id), str(user.id)):
        return False
    await publisher.publish(chat_topic(chat_id), TypingStarted(chat_id=chat_id, user_id=user.id))
    return True
