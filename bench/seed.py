"""Bulk seeding straight into the migrated database, on PostgreSQL and SQLite alike.

Users share one precomputed argon2 hash (hashing a thousand passwords would take a minute
and measure nothing); long chats are written by one INSERT ... SELECT over
generate_series (PostgreSQL) or a recursive CTE (SQLite), so a 1,000,000-message chat
takes seconds.
"""

import time
from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.profile import Profile
from db.base import UTCDateTime, utcnow
from db.models import (
    Attachment,
    Chat,
    ChatKind,
    ChatParticipant,
    Message,
    Reaction,
    Role,
    Space,
    SpaceMember,
    User,
)
from db.session import create_engine
from resolvers.passwords import hasher
from resolvers.permissions import DEFAULT_ROLE_PERMISSIONS
from resolvers.spaces import DEFAULT_ROLE_NAME

PASSWORD = "bench password"  # noqa: S105 (nobody signs in with it; only its hash is stored)
# One channel per scenario that counts deliveries, so that each sees only its own messages.
CHANNELS = (
    "fanout-5",
    "fanout-10",
    "fanout-max",
    "single",
    "storm",
    "slow",
    "memory",
    "history",
    "big",
    "send",
)
REACTIONS = ("👍", "🎉", "❤️")
ATTACHMENT_EVERY = 5
REPLY_EVERY = 3


@dataclass(frozen=True)
class Seeded:
    users: list[int]  # user ids; users[0] owns the space
    space: int
    channels: dict[str, int]  # name -> chat id
    groups: list[tuple[int, list[int]]]  # GROUP chat id, its participants
    big_first_message: int  # the oldest message of the long chat
    seconds: float


async def seed(database_url: str, profile: Profile) -> Seeded:
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            users = await _users(connection, profile.users)
            space, channels = await _space(connection, users)
            groups = await _groups(connection, users[1:], profile.chats, profile.chat_size)
            await _history(connection, channels["history"], users, profile.history_messages)
            big_first = await _insert_messages(
                connection, channels["big"], users[:20], profile.big_messages
            )
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("ANALYZE"))  # what autovacuum would do soon after
    finally:
        await engine.dispose()
    return Seeded(users, space, channels, groups, big_first, time.perf_counter() - started)


async def _users(connection: AsyncConnection, count: int) -> list[int]:
    password_hash = hasher.hash(PASSWORD)
    await connection.execute(
        insert(User),
        [
            {
                "email": f"user{n}@bench.example",
                "tag": f"user{n}",
                "display_name": f"User {n}",
                "password_hash": password_hash,
            }
            for n in range(count)
        ],
    )
    return list((await connection.execute(select(User.id).order_by(User.id))).scalars())


async def _space(connection: AsyncConnection, users: list[int]) -> tuple[int, dict[str, int]]:
    """One public space everybody belongs to (the default role gives them reading and
    sending), with a channel per scenario."""
    space = (
        await connection.execute(
            insert(Space)
            .values(name="Bench", is_public=True, owner_id=users[0])
            .returning(Space.id)
        )
    ).scalar_one()
    await connection.execute(
        insert(Role).values(
            space_id=space,
            name=DEFAULT_ROLE_NAME,
            position=0,
            permissions=int(DEFAULT_ROLE_PERMISSIONS),
            is_default=True,
        )
    )
    await connection.execute(
        insert(SpaceMember), [{"space_id": space, "user_id": user} for user in users]
    )
    channels = {}
    for name in CHANNELS:
        channels[name] = (
            await connection.execute(
                insert(Chat)
                .values(kind=ChatKind.CHANNEL, space_id=space, title=name, creator_id=users[0])
                .returning(Chat.id)
            )
        ).scalar_one()
    return space, channels


async def _groups(
    connection: AsyncConnection, users: list[int], count: int, size: int
) -> list[tuple[int, list[int]]]:
    groups = []
    for number in range(count):
        members = users[number * size : (number + 1) * size]
        chat = (
            await connection.execute(
                insert(Chat)
                .values(kind=ChatKind.GROUP, title=f"group {number}", creator_id=members[0])
                .returning(Chat.id)
            )
        ).scalar_one()
        await connection.execute(
            insert(ChatParticipant), [{"chat_id": chat, "user_id": user} for user in members]
        )
        groups.append((chat, members))
    return groups


_MESSAGES_POSTGRES = (
    "INSERT INTO messages (chat_id, author_id, kind, content, mentions_everyone, created_at)"
    " SELECT :chat, :first_author + n % :authors, 'TEXT',"
    " 'message ' || n || ' of an ordinary conversation, long enough to look like one',"
    " :no, :created FROM generate_series(1, :count) AS s(n)"
)
_MESSAGES_SQLITE = (
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count)"
    " INSERT INTO messages (chat_id, author_id, kind, content, mentions_everyone, created_at)"
    " SELECT :chat, :first_author + n % :authors, 'TEXT',"
    " 'message ' || n || ' of an ordinary conversation, long enough to look like one',"
    " :no, :created FROM s"
)


async def _insert_messages(
    connection: AsyncConnection, chat: int, authors: list[int], count: int
) -> int:
    """`count` messages in `chat` by `authors` in turn (their ids are consecutive), in one
    statement; the id of the first."""
    assert authors == list(range(authors[0], authors[0] + len(authors)))
    statement = text(
        _MESSAGES_POSTGRES if connection.dialect.name == "postgresql" else _MESSAGES_SQLITE
    ).bindparams(bindparam("created", type_=UTCDateTime()))
    if connection.dialect.name == "postgresql":
        # The rows refer to a chat and users that exist: skip the per-row foreign-key
        # triggers for this transaction (two checks per row were most of the time).
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
    await connection.execute(
        statement,
        {
            "count": count,
            "chat": chat,
            "first_author": authors[0],
            "authors": len(authors),
            "no": False,
            "created": utcnow(),
        },
    )
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    first, last = (
        await connection.execute(
            select(func.min(Message.id), func.max(Message.id)).where(Message.chat_id == chat)
        )
    ).one()
    assert last - first + 1 == count  # one statement: consecutive ids
    return int(first)


async def _history(connection: AsyncConnection, chat: int, users: list[int], count: int) -> None:
    """A chat whose pages have everything: authors, reactions, attachments and replies."""
    first = await _insert_messages(connection, chat, users[:10], count)
    ids = range(first, first + count)
    await connection.execute(
        update(Message)
        .where(Message.chat_id == chat, Message.id > first, Message.id % REPLY_EVERY == 0)
        .values(reply_to_id=Message.id - 1)
    )
    await connection.execute(
        insert(Reaction),
        [
            {"message_id": message, "emoji": emoji, "user_id": users[(message + n) % len(users)]}
            for message in ids
            for n, emoji in enumerate(REACTIONS)
        ],
    )
    await connection.execute(
        insert(Attachment),
        [
            {
                "message_id": message,
                "uploader_id": users[0],
                "storage_key": f"bench/{message}",
                "filename": "photo.png",
                "content_type": "image/png",
                "size": 4096,
                "width": 64,
                "height": 64,
            }
            for message in ids
            if message % ATTACHMENT_EVERY == 0
        ],
    )
