"""@mentions in message content: @tag for users who can read the chat, and @everyone."""

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, User
from resolvers.permissions import viewers_among

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
