"""Chat visibility: who may read a chat and what they may do in it.

Channels take their rules from the space (VIEW_CHANNELS to read, and so on) and the
channel's overwrites per role, through `channel_permissions`; DIRECT and GROUP chats from
taking part. Everything about chats asks here.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChannelOverwrite, Chat, ChatParticipant, Message, Role, Space, SpaceMember
from infra.errors import Forbidden, NotFound
from resolvers.permissions.flags import Permission, effective_permissions
from resolvers.permissions.spaces import (
    ROLE_COLUMNS,
    HeldRoles,
    Standing,
    held_roles,
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


@dataclass(frozen=True)
class Overwrite:
    """What one role is allowed and denied in one channel, over its space-level set."""

    allow: Permission
    deny: Permission


def channel_permissions(
    permissions: Permission, roles: HeldRoles, overwrites: Mapping[int, Overwrite]
) -> Permission:
    """What a member may do in one channel: their space-level `permissions`, then the
    default role's overwrite (deny, then allow), then the union of the overwrites of their
    other roles (deny, then allow). The owner and ADMINISTRATOR are never restricted.

    `overwrites` are the channel's, by role id (those of roles the member lacks are
    ignored). Every channel decision (reading, sending, managing, listing, delivering an
    event) comes down to this one function.
    """
    if Permission.ADMINISTRATOR in permissions:
        return permissions
    default = overwrites.get(roles.default_id) if roles.default_id is not None else None
    if default is not None:
        permissions = (permissions & ~default.deny) | default.allow
    allow = deny = Permission(0)
    for role_id in roles.others:
        if (overwrite := overwrites.get(role_id)) is not None:
            allow, deny = allow | overwrite.allow, deny | overwrite.deny
    return (permissions & ~deny) | allow


@dataclass(frozen=True)
class ChatAccess:
    chat: Chat
    user_id: int
    standing: Standing | None  # channels only
    # The channel's overwrites for the roles the member holds, by role id.
    overwrites: Mapping[int, Overwrite] = field(default_factory=dict)

    @property
    def permissions(self) -> Permission:
        if self.standing is None:
            return PARTICIPANT_PERMISSIONS
        return channel_permissions(self.standing.permissions, self.standing.roles, self.overwrites)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise Forbidden(f"Missing permission {permission.name}", permission=permission.name)


async def chat_access(session: AsyncSession, chat_id: int, user_id: int) -> ChatAccess:
    """The caller's access to a chat it may read; NOT_FOUND for any other chat."""
    access = (await chat_accesses(session, [chat_id], user_id)).get(chat_id)
    if access is None:
        raise NotFound("Chat not found")
    return access


async def chat_accesses(
    session: AsyncSession, chat_ids: Sequence[int], user_id: int
) -> dict[int, ChatAccess]:
    """The caller's access to each of `chat_ids` it may read (the others are left out).

    One statement whatever their number: each chat, its space, and the caller's part in it
    (taking part in a DIRECT or GROUP chat; in the space of a channel, membership, the roles
    held and the channel's overwrites for those roles), one row per role held.
    """
    if not chat_ids:
        return {}
    rows = (
        await session.execute(
            select(
                Chat,
                Space,
                ChatParticipant.user_id,
                SpaceMember,
                *ROLE_COLUMNS,
                ChannelOverwrite.allow,
                ChannelOverwrite.deny,
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
            .outerjoin(
                ChannelOverwrite,
                (ChannelOverwrite.chat_id == Chat.id) & (ChannelOverwrite.role_id == Role.id),
            )
            .where(Chat.id.in_(chat_ids))
        )
    ).all()
    by_chat: defaultdict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_chat[row[0].id].append(tuple(row))
    accesses = (_access(chat_rows, user_id) for chat_rows in by_chat.values())
    return {access.chat.id: access for access in accesses if access is not None}


def _access(rows: list[tuple[Any, ...]], user_id: int) -> ChatAccess | None:
    """The caller's access to one chat from its `chat_accesses` rows; None if unreadable."""
    chat, space, participant = rows[0][:3]
    if space is None:
        return ChatAccess(chat, user_id, None) if participant is not None else None
    found = memberships_from(tuple(row[3:8]) for row in rows if row[3] is not None)
    overwrites = {
        row[4]: Overwrite(Permission(row[8]), Permission(row[9]))
        for row in rows
        if row[8] is not None
    }
    access = ChatAccess(
        chat, user_id, standing_from(space, user_id, found.get((space.id, user_id))), overwrites
    )
    return access if access.may(Permission.VIEW_CHANNELS) else None


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
    """One statement reading columns, no rows loaded (a busy channel checks thousands per
    event): each member's roles with the channel's overwrite for each."""
    rows = await session.execute(
        select(
            SpaceMember.user_id,
            Role.id,
            Role.is_default,
            Role.permissions,
            ChannelOverwrite.allow,
            ChannelOverwrite.deny,
        )
        .select_from(SpaceMember)
        .outerjoin(Role, held_roles())
        .outerjoin(
            ChannelOverwrite,
            (ChannelOverwrite.chat_id == chat_id) & (ChannelOverwrite.role_id == Role.id),
        )
        .where(SpaceMember.space_id == space_id, SpaceMember.user_id.in_(user_ids))
    )
    members: dict[int, _Grants] = {}
    for user_id, role_id, is_default, bits, allow, deny in rows:
        members.setdefault(user_id, _Grants()).add(role_id, is_default, bits, allow, deny)
    return {
        user_id
        for user_id, grants in members.items()
        if Permission.VIEW_CHANNELS in grants.in_channel(is_owner=user_id == owner_id)
    }


@dataclass
class _Grants:
    """One member's roles and the channel's overwrites for them, gathered row by row."""

    granted: Permission = field(default_factory=lambda: Permission(0))
    default_id: int | None = None
    others: set[int] = field(default_factory=set)
    overwrites: dict[int, Overwrite] = field(default_factory=dict)

    def add(
        self,
        role_id: int | None,
        is_default: bool | None,
        bits: int | None,
        allow: int | None,
        deny: int | None,
    ) -> None:
        if role_id is None:
            return
        self.granted |= Permission(bits or 0)
        if is_default:
            self.default_id = role_id
        else:
            self.others.add(role_id)
        if allow is not None and deny is not None:
            self.overwrites[role_id] = Overwrite(Permission(allow), Permission(deny))

    def in_channel(self, *, is_owner: bool) -> Permission:
        roles = HeldRoles(self.default_id, frozenset(self.others))
        permissions = effective_permissions(self.granted, is_owner=is_owner)
        return channel_permissions(permissions, roles, self.overwrites)


async def visible_chat_ids(
    session: AsyncSession, chat_ids: Sequence[int], user_id: int
) -> set[int]:
    """Which of `chat_ids` the user may read, in one statement whatever their number."""
    return set(await chat_accesses(session, chat_ids, user_id))


async def visible_channels(
    session: AsyncSession, standing: Standing, channels: Sequence[Chat]
) -> list[Chat]:
    """Those of a space's `channels` the member (of `standing`) may read: one statement
    for the channels' overwrites of the member's roles, none when nothing can restrict."""
    if not standing.is_member:
        return []
    overwrites: defaultdict[int, dict[int, Overwrite]] = defaultdict(dict)
    roles = standing.roles
    held = [*roles.others, *([roles.default_id] if roles.default_id is not None else [])]
    if channels and held and not standing.has(Permission.ADMINISTRATOR):
        rows = await session.execute(
            select(ChannelOverwrite).where(
                ChannelOverwrite.chat_id.in_([channel.id for channel in channels]),
                ChannelOverwrite.role_id.in_(held),
            )
        )
        for (row,) in rows:
            overwrites[row.chat_id][row.role_id] = Overwrite(
                Permission(row.allow), Permission(row.deny)
            )
    return [
        channel
        for channel in channels
        if Permission.VIEW_CHANNELS
        in channel_permissions(standing.permissions, roles, overwrites[channel.id])
    ]
