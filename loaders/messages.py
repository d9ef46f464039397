"""What a page of messages needs, one statement per kind whatever the page size.

Users that come along (authors, mentioned users, reaction samples) are primed into the
users loader, so resolving them costs nothing more.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Select, func, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Attachment, Mention, Message, Reaction, ReadMarker, User
from loaders.chats import ChatAccessLoader
from loaders.users import UserLoader

REACTION_SAMPLE = 10  # users shown per reaction group


@dataclass(frozen=True)
class ReactionGroup:
    emoji: str
    count: int
    reacted_by_me: bool
    users: list[User]  # the first REACTION_SAMPLE to react


async def load_with_authors(
    session: AsyncSession, condition: ColumnElement[bool]
) -> list[tuple[Message, User | None]]:
    """The messages matching `condition`, each with its author, in one statement."""
    rows = await session.execute(
        select(Message, User).outerjoin(User, User.id == Message.author_id).where(condition)
    )
    return [(message, author) for message, author in rows]


async def _with_authors(
    session: AsyncSession, users: UserLoader, condition: ColumnElement[bool]
) -> list[Message]:
    """The messages matching `condition`; their authors are primed into `users`."""
    messages = []
    for message, author in await load_with_authors(session, condition):
        messages.append(message)
        if author is not None:
            users.prime(author.id, author)
    return messages


class MessageLoader(DataLoader[int, Message | None]):
    """Messages by id (reply targets), with their authors."""

    def __init__(self, session: AsyncSession, users: UserLoader) -> None:
        super().__init__()
        self.session, self.users = session, users

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Message | None]:
        rows = await _with_authors(self.session, self.users, Message.id.in_(keys))
        found = {message.id: message for message in rows}
        return [found.get(key) for key in keys]


class ReadableMessageLoader(DataLoader[int, Message | None]):
    """Messages by id, each only if the viewer may read its chat now (a notification's
    message may be in a chat its recipient has since lost)."""

    def __init__(self, messages: MessageLoader, chat_access: ChatAccessLoader) -> None:
        super().__init__()
        self.messages, self.chat_access = messages, chat_access

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Message | None]:
        rows = await self.messages.load_many(keys)
        chat_ids = sorted({row.chat_id for row in rows if row is not None})
        accesses = dict(zip(chat_ids, await self.chat_access.load_many(chat_ids), strict=True))
        return [
            row if row is not None and accesses[row.chat_id] is not None else None for row in rows
        ]


class AttachmentsLoader(DataLoader[int, list[Attachment]]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Attachment]]:
        rows = await self.session.scalars(
            select(Attachment).where(Attachment.message_id.in_(keys)).order_by(Attachment.id)
        )
        by_message: dict[int, list[Attachment]] = defaultdict(list)
        for row in rows:
            by_message[row.message_id or 0].append(row)
        return [by_message[key] for key in keys]


class MentionsLoader(DataLoader[int, list[User]]):
    def __init__(self, session: AsyncSession, users: UserLoader) -> None:
        super().__init__()
        self.session, self.users = session, users

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[User]]:
        rows = await self.session.execute(
            select(Mention.message_id, User)
            .join(User, User.id == Mention.user_id)
            .where(Mention.message_id.in_(keys))
            .order_by(User.tag)
        )
        by_message: dict[int, list[User]] = defaultdict(list)
        for message_id, user in rows:
            by_message[message_id].append(user)
            self.users.prime(user.id, user)
        return [by_message[key] for key in keys]


class ReactionsLoader(DataLoader[int, list[ReactionGroup]]):
    """Reactions grouped by emoji (in order of first use), as the viewer sees them."""

    def __init__(self, session: AsyncSession, users: UserLoader, viewer_id: int | None) -> None:
        super().__init__()
        self.session, self.users, self.viewer_id = session, users, viewer_id

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[ReactionGroup]]:
        sampled = _sampled_reactions(keys, self.viewer_id).subquery()
        user = aliased(User, sampled)
        rows = await self.session.execute(
            select(
                sampled.c.message_id, sampled.c.emoji, sampled.c.count, sampled.c.rank, user
            ).order_by(*_reaction_order(sampled))
        )
        groups = _grouped(rows, self.users, self.viewer_id)
        return [list(groups[key].values()) for key in keys]


async def reactions_and_mentions(
    session: AsyncSession, users: UserLoader, viewer_id: int | None, keys: Sequence[int]
) -> tuple[dict[int, list[ReactionGroup]], dict[int, list[User]]]:
    """What ReactionsLoader and MentionsLoader give for `keys`, in one statement (a history
    page asks for both): the mention rows are those without an emoji."""
    mentioned = (
        select(
            Mention.message_id,
            null().label("emoji"),
            null().label("count"),
            null().label("rank"),
            null().label("first_at"),
            Mention.user_id,
            *User.__table__.c,
        )
        .join(User, User.id == Mention.user_id)
        .where(Mention.message_id.in_(keys))
    )
    both = union_all(_sampled_reactions(keys, viewer_id), mentioned).subquery()
    user = aliased(User, both)
    rows = (
        await session.execute(
            select(both.c.message_id, both.c.emoji, both.c.count, both.c.rank, user).order_by(
                *_reaction_order(both), user.tag
            )
        )
    ).all()
    mentions: dict[int, list[User]] = defaultdict(list)
    for message_id, emoji, _, _, row in rows:
        if emoji is None:
            mentions[message_id].append(row)
            users.prime(row.id, row)
    groups = _grouped((row for row in rows if row[1] is not None), users, viewer_id)
    return (
        {key: list(groups[key].values()) for key in keys},
        {key: mentions[key] for key in keys},
    )


def _sampled_reactions(keys: Sequence[int], viewer_id: int | None) -> Select[Any]:
    """Per reaction shown: its message, emoji, the group's size, the reaction's rank in it,
    the group's first use and the user with all their columns; the first REACTION_SAMPLE of
    each group, and the viewer's own."""
    group = (Reaction.message_id, Reaction.emoji)
    ranked = (
        select(
            Reaction.message_id,
            Reaction.emoji,
            func.count().over(partition_by=group).label("count"),
            func.row_number()
            .over(partition_by=group, order_by=(Reaction.created_at, Reaction.user_id))
            .label("rank"),
            func.min(Reaction.created_at).over(partition_by=group).label("first_at"),
            Reaction.user_id,
        )
        .where(Reaction.message_id.in_(keys))
        .subquery()
    )
    return (
        select(ranked, *User.__table__.c)
        .join(User, User.id == ranked.c.user_id)
        .where(or_(ranked.c.rank <= REACTION_SAMPLE, ranked.c.user_id == (viewer_id or 0)))
    )


def _reaction_order(rows: Any) -> tuple[Any, ...]:
    return rows.c.message_id, rows.c.first_at, rows.c.emoji, rows.c.rank


def _grouped(
    rows: Iterable[Any], users: UserLoader, viewer_id: int | None
) -> dict[int, dict[str, ReactionGroup]]:
    """Reaction groups per message from (message id, emoji, count, rank, user) rows in
    _reaction_order."""
    groups: dict[int, dict[str, ReactionGroup]] = defaultdict(dict)
    for message_id, emoji, count, rank, user in rows:
        known = groups[message_id].get(emoji) or ReactionGroup(emoji, count, False, [])
        sample = [*known.users, user] if rank <= REACTION_SAMPLE else known.users
        groups[message_id][emoji] = ReactionGroup(
            emoji, count, known.reacted_by_me or user.id == viewer_id, sample
        )
        users.prime(user.id, user)
    return groups


class LastMessageLoader(DataLoader[int, Message | None]):
    """The newest message of each chat, with its author."""

    def __init__(self, session: AsyncSession, users: UserLoader) -> None:
        super().__init__()
        self.session, self.users = session, users

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Message | None]:
        newest = (
            select(func.max(Message.id)).where(Message.chat_id.in_(keys)).group_by(Message.chat_id)
        )
        rows = await _with_authors(self.session, self.users, Message.id.in_(newest))
        by_chat = {message.chat_id: message for message in rows}
        return [by_chat.get(key) for key in keys]


class UnreadCountLoader(DataLoader[int, int]):
    """Messages after the viewer's read marker, not their own and not deleted, per chat."""

    def __init__(self, session: AsyncSession, viewer_id: int | None) -> None:
        super().__init__()
        self.session, self.viewer_id = session, viewer_id or 0

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        rows = await self.session.execute(
            select(Message.chat_id, func.count())
            .outerjoin(
                ReadMarker,
                (ReadMarker.chat_id == Message.chat_id) & (ReadMarker.user_id == self.viewer_id),
            )
            .where(
                Message.chat_id.in_(keys),
                Message.id > func.coalesce(ReadMarker.last_read_message_id, 0),
                Message.deleted_at.is_(None),
                or_(Message.author_id.is_(None), Message.author_id != self.viewer_id),
            )
            .group_by(Message.chat_id)
        )
        counts: dict[int, int] = {chat_id: count for chat_id, count in rows}
        return [counts.get(key, 0) for key in keys]
