"""Chat visibility: who may read a chat and what they may do in it.

Channels take their rules from the space (VIEW_CHANNELS to read, and so on), through
`channel_permissions`; DIRECT and GROUP chats from taking part. Everything about chats
asks here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatParticipant, Message, Role, Space, SpaceMember
from infra.errors import Forbidden, NotFound
from resolvers.permissions.flags import Permission, effective_permissions
from resolvers.permissions.spaces import (
    Standing,
    granted_among,
    held_roles,
    memberships,
    memberships_from,
    standing_from,
)

# What taking part in a DIRECT or GROUP chat allows (moderating others' messages is not).
PARTICIPANT_PERMISSIONS = (
    Permission.VIEW_CHANNELS
    | Permission.SEND_MESSAGES
    | Permission.ATTACH_FILES
    | Permission.ADD_REACTIONS
    | Permission.MENTION_EVERYONE
    | Permission.PIN_MESSAGES
)


def channel_permissions(space_permissions: Permission, chat_id: int) -> Permission:
    """What a member may do in one channel, from what they may do in its space.

    Every channel decision (reading, sending, managing, listing) comes down to this one
    function. Today a space's permissions hold alike in all its channels; per-channel
    overwrites (allow and deny per channel and role) belong here, and nowhere else.
    """
    return space_permissions


@dataclass(frozen=True)
class ChatAccess:
    chat: Chat
    user_id: int
    standing: Standing | None  # channels only

    @property
    def permissions(self) -> Permission:
        if self.standing is None:
            return PARTICIPANT_PERMISSIONS
        return channel_permissions(self.standing.permissions, self.chat.id)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise Forbidden(f"Missing permission {permission.name}", permission=permission.name)


async def chat_access(session: AsyncSession, chat_id: int, user_id: int) -> ChatAccess:
    """The caller's access to a chat it may read; NOT_FOUND for any other chat.

    One statement: the chat, its space, and the caller's part in it (taking part in a
    DIRECT or GROUP chat; membership and roles held in the space of a channel).
    """
    rows = (
        await session.execute(
            select(
                Chat, Space, ChatParticipant.user_id, SpaceMember, Role.permissions, Role.position
            )
            .outerjoin(Space, Space.id == Chat.space_id)
            .outerjoin(
                ChatParticipant,
                (ChatParticipant.chat_id == Chat.id) & (ChatParticipant.user_id == user_id),
            )
            .outerjoin(
                SpaceMember,
                (SpaceMember.space_id == Chat.space_id) & (SpaceMember.user_id == user_id),
            )
            .outerjoin(Role, held_roles())
            .where(Chat.id == chat_id)
        )
    ).all()
    if not rows:
        raise NotFound("Chat not found")
    chat, space, participant = rows[0][:3]
    if space is None:
        if participant is None:
            raise NotFound("Chat not found")
        return ChatAccess(chat, user_id, None)
    found = memberships_from(
        (member, bits, position) for *_, member, bits, position in rows if member is not None
    )
    access = ChatAccess(
        chat, user_id, standing_from(space, user_id, found.get((space.id, user_id)))
    )
    if not access.may(Permission.VIEW_CHANNELS):
        raise NotFound("Chat not found")
    return access


async def message_access(
    session: AsyncSession, message_id: int, user_id: int
) -> tuple[Message, ChatAccess]:
    """A message in a chat the caller may read, with that access; NOT_FOUND otherwise."""
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound("Message not found")
    try:
        access = await chat_access(session, message.chat_id, user_id)
    except NotFound:
        raise NotFound("Message not found") from None
    return message, access


async def visible_chat(session: AsyncSession, chat_id: int, user_id: int) -> Chat:
    return (await chat_access(session, chat_id, user_id)).chat


async def viewers_among(session: AsyncSession, chat: Chat, user_ids: Sequence[int]) -> set[int]:
    """Which of `user_ids` may read `chat` (two statements at most)."""
    if not user_ids:
        return set()
    if chat.space_id is None:
        return await _participants_among(session, chat.id, user_ids)
    space = await session.get_one(Space, chat.space_id)
    return await _channel_readers_among(session, chat.id, space.id, space.owner_id, user_ids)


async def readers_among(session: AsyncSession, chat_id: int, user_ids: Sequence[int]) -> set[int]:
    """Which of `user_ids` may read the chat now, from columns alone (two statements): the
    per-event check of all of a chat's watchers in a process."""
    if not user_ids:
        return set()
    found = (
        await session.execute(
            select(Chat.space_id, Space.owner_id)
            .outerjoin(Space, Space.id == Chat.space_id)
            .where(Chat.id == chat_id)
        )
    ).first()
    if found is None:
        return set()
    space_id, owner_id = found
    if space_id is None:
        return await _participants_among(session, chat_id, user_ids)
    return await _channel_readers_among(session, chat_id, space_id, owner_id, user_ids)


async def _participants_among(
    session: AsyncSession, chat_id: int, user_ids: Sequence[int]
) -> set[int]:
    rows = await session.scalars(
        select(ChatParticipant.user_id).where(
            ChatParticipant.chat_id == chat_id, ChatParticipant.user_id.in_(user_ids)
        )
    )
    return set(rows)


async def _channel_readers_among(
    session: AsyncSession, chat_id: int, space_id: int, owner_id: int, user_ids: Sequence[int]
) -> set[int]:
    granted = await granted_among(session, space_id, user_ids)
    return {
        user_id
        for user_id, bits in granted.items()
        if Permission.VIEW_CHANNELS
        in channel_permissions(effective_permissions(bits, is_owner=user_id == owner_id), chat_id)
    }


async def visible_chat_ids(
    session: AsyncSession, chat_ids: Sequence[int], user_id: int
) -> set[int]:
    """Which of `chat_ids` the user may read, in three statements whatever their number."""
    rows = (
        await session.execute(
            select(Chat.id, Space)
            .outerjoin(Space, Space.id == Chat.space_id)
            .where(Chat.id.in_(chat_ids))
        )
    ).all()
    direct = [chat_id for chat_id, space in rows if space is None]
    spaces = {space.id: space for _, space in rows if space is not None}
    visible: set[int] = set()
    if direct:
        visible |= set(
            await session.scalars(
                select(ChatParticipant.chat_id).where(
                    ChatParticipant.chat_id.in_(direct), ChatParticipant.user_id == user_id
                )
            )
        )
    if spaces:
        found = await memberships(session, list(spaces), [user_id])
        granted = {
            space_id: standing_from(space, user_id, found.get((space_id, user_id))).permissions
            for space_id, space in spaces.items()
        }
        visible |= {
            chat_id
            for chat_id, space in rows
            if space is not None
            and Permission.VIEW_CHANNELS in channel_permissions(granted[space.id], chat_id)
        }
    return visible


def visible_channels(standing: Standing, channels: Sequence[Chat]) -> list[Chat]:
    """Those of a space's `channels` the member (of `standing`) may read."""
    return [
        channel
        for channel in channels
        if Permission.VIEW_CHANNELS in channel_permissions(standing.permissions, channel.id)
    ]
