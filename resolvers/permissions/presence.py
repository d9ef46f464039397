"""Whose presence (status and lastSeenAt) a viewer may see.

Presence is for the people who share something with the user, as on Discord: a space, a
GROUP chat, or a DIRECT chat the user has taken part in (opened, or written in: opening a
DM with someone needs no consent, so it shares nothing of theirs until they answer). A user
who blocked the viewer is OFFLINE to them. Everyone else sees OFFLINE and no lastSeenAt.
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatKind, ChatParticipant, Message, SpaceMember
from resolvers.permissions.blocks import blocked_among, blockers_among


def shares_presence_through_chat() -> ColumnElement[bool]:
    """For a `ChatParticipant` row joined to its `Chat`: whether that participant's presence
    goes to the chat's other participants (a GROUP, or a DIRECT chat they took part in)."""
    wrote = exists().where(
        Message.chat_id == ChatParticipant.chat_id, Message.author_id == ChatParticipant.user_id
    )
    return or_(
        Chat.kind == ChatKind.GROUP,
        (Chat.kind == ChatKind.DIRECT) & ((Chat.creator_id == ChatParticipant.user_id) | wrote),
    )


async def presence_visible_among(
    session: AsyncSession, viewer_id: int, user_ids: Iterable[int]
) -> set[int]:
    """Which of `user_ids` show their presence to `viewer_id` (three statements at most)."""
    wanted = set(user_ids)
    visible = {viewer_id} & wanted
    others = wanted - visible
    if not others:
        return visible
    my_spaces = select(SpaceMember.space_id).where(SpaceMember.user_id == viewer_id)
    sharing = set(
        await session.scalars(
            select(SpaceMember.user_id)
            .where(SpaceMember.user_id.in_(others), SpaceMember.space_id.in_(my_spaces))
            .distinct()
        )
    )
    if rest := others - sharing:
        my_chats = select(ChatParticipant.chat_id).where(ChatParticipant.user_id == viewer_id)
        sharing |= set(
            await session.scalars(
                select(ChatParticipant.user_id)
                .join(Chat, Chat.id == ChatParticipant.chat_id)
                .where(
                    ChatParticipant.user_id.in_(rest),
                    ChatParticipant.chat_id.in_(my_chats),
                    shares_presence_through_chat(),
                )
                .distinct()
            )
        )
    if sharing:
        sharing -= await blockers_among(session, sharing, viewer_id)
    return visible | sharing


async def presence_audience(session: AsyncSession, user_id: int) -> tuple[set[int], set[int]]:
    """Who hears of `user_id`'s presence changes: the spaces they are a member of (whose
    watchers are checked for blocks as each event reaches them), and the users sharing a chat
    that shares their presence (themself included if there is any), minus those they blocked.
    Three statements."""
    space_ids = set(
        await session.scalars(select(SpaceMember.space_id).where(SpaceMember.user_id == user_id))
    )
    mine = (
        select(ChatParticipant.chat_id)
        .join(Chat, Chat.id == ChatParticipant.chat_id)
        .where(ChatParticipant.user_id == user_id, shares_presence_through_chat())
    )
    contact_ids = set(
        await session.scalars(
            select(ChatParticipant.user_id).where(ChatParticipant.chat_id.in_(mine)).distinct()
        )
    )
    contact_ids -= await blocked_among(session, user_id, contact_ids)
    return space_ids, contact_ids
