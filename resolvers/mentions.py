"""@mentions in message content: @tag for users who can read the chat, and @everyone; and
the notifications a message causes (mentions and replies)."""

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, Mention, Message, Notification, NotificationKind, User
from resolvers import announcements
from resolvers.permissions import ChatAccess, Permission, blockers_among, viewers_among

# A tag after "@" that is not itself part of a word or an email address.
_MENTION = re.compile(r"(?<![\w@.])@([a-z0-9_.]{3,33})", re.IGNORECASE)
EVERYONE = "everyone"
MAX_MENTIONS = 50


@dataclass(frozen=True)
class ParsedMentions:
    tags: list[str]
    everyone: bool


def parse(content: str) -> ParsedMentions:
    """The distinct tags mentioned, in order of first appearance (sentence dots dropped)."""
    tags: list[str] = []
    for match in _MENTION.finditer(content):
        tag = match.group(1).lower().rstrip(".")
        if tag not in tags:
            tags.append(tag)
    everyone = EVERYONE in tags
    return ParsedMentions([tag for tag in tags if tag != EVERYONE][:MAX_MENTIONS], everyone)


async def mentioned_users(session: AsyncSession, chat: Chat, tags: list[str]) -> list[User]:
    """The users with those tags who can read `chat` (nobody else is mentioned)."""
    if not tags:
        return []
    users = list(await session.scalars(select(User).where(User.tag.in_(tags))))
    readers = await viewers_among(session, chat, [user.id for user in users])
    return [user for user in users if user.id in readers]


async def record(session: AsyncSession, access: ChatAccess, message: Message) -> list[User]:
    """Record who the content mentions; @everyone counts only where it is allowed."""
    parsed = parse(message.content or "")
    message.mentions_everyone = parsed.everyone and access.may(Permission.MENTION_EVERYONE)
    users = await mentioned_users(session, access.chat, parsed.tags)
    session.add_all([Mention(message_id=message.id, user_id=u.id) for u in users])
    return users


async def notify(
    session: AsyncSession,
    chat: Chat,
    message: Message,
    author: User,
    mentioned: list[User],
    *,
    replied_author: int | None,
) -> None:
    """REPLY for the replied-to author, MENTION for the others; never to oneself nor to
    anyone who blocked the author, once each."""
    recipients = {replied_author: NotificationKind.REPLY} if replied_author else {}
    for user in mentioned:
        recipients.setdefault(user.id, NotificationKind.MENTION)
    recipients.pop(author.id, None)
    for blocker_id in await blockers_among(session, recipients, author.id):
        del recipients[blocker_id]
    await announcements.notify(
        session,
        [
            Notification(
                user_id=user_id,
                kind=kind,
                actor_id=author.id,
                message_id=message.id,
                space_id=chat.space_id,
            )
            for user_id, kind in recipients.items()
        ],
    )
