"""Message history pages (keyset on the message id) and read markers."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.base import utcnow
from db.models import Attachment, Chat, Message, ReadMarker, User
from infra.errors import BadUserInput
from resolvers.pagination import MESSAGE_PAGE, Page, cursor_fields, decode_cursor, page_request
from resolvers.permissions import ChatAccess, chat_access


@dataclass(frozen=True)
class MessagePage:
    """Messages oldest first, with what they reply to, both's authors and the messages'
    attachments, loaded in one statement."""

    access: ChatAccess  # the caller's, to the page's chat (as its check loaded the chat)
    messages: Page[Message]
    replies: list[Message]  # the messages that those of the page reply to
    authors: list[User]  # of the page's messages and of their replies
    attachments: dict[int, list[Attachment]]  # by message id, every message of the page

    @property
    def chat(self) -> Chat:
        return self.access.chat


async def history(
    session: AsyncSession,
    user: User,
    chat_id: int,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> MessagePage:
    """A page of a chat the caller can read: `first`/`after` walks forward from the oldest,
    `last`/`before` backward from the newest (the default: the newest 50)."""
    access = await chat_access(session, chat_id, user.id)
    forward = first is not None or after is not None
    if forward and (last is not None or before is not None):
        raise BadUserInput("Page forward (first/after) or backward (last/before), not both")
    request = page_request(
        first if forward else last,
        after if forward else before,
        default=MESSAGE_PAGE,
        size_field="first" if forward else "last",
        cursor_field="after" if forward else "before",
    )
    size = request.limit
    position = request.position(int)
    bound = position[0] if position is not None else None

    ids = select(Message.id).where(Message.chat_id == chat_id)
    if bound is not None:
        ids = ids.where(Message.id > bound if forward else Message.id < bound)
    page = ids.order_by(Message.id if forward else Message.id.desc()).limit(size + 1).subquery()
    reply, reply_author = aliased(Message), aliased(User)
    rows = await session.execute(
        select(Message, User, reply, reply_author, Attachment)
        .join(page, page.c.id == Message.id)
        .outerjoin(User, User.id == Message.author_id)
        .outerjoin(reply, reply.id == Message.reply_to_id)
        .outerjoin(reply_author, reply_author.id == reply.author_id)
        .outerjoin(Attachment, Attachment.message_id == Message.id)
        .order_by(Message.id, Attachment.id)
    )
    found: dict[int, Message] = {}  # oldest first
    replies, authors, attachments = [], [], defaultdict[int, list[Attachment]](list)
    for message, author, replied, replied_by, attachment in rows:
        if message.id not in found:
            found[message.id] = message
            replies += [replied] if replied else []
            authors += [user for user in (author, replied_by) if user]
        if attachment is not None:
            attachments[message.id].append(attachment)
    messages = list(found.values())
    more = len(messages) > size
    # One message more than the page was asked for, to tell whether there are more: the
    # newest when walking forward, the oldest when walking backward.
    messages = messages[:size] if forward else messages[max(len(messages) - size, 0) :]
    kept = {message.id: attachments[message.id] for message in messages}
    # A cursor always names a message, so there is something on its other side.
    has_next, has_previous = (more, bound is not None) if forward else (bound is not None, more)
    shown = Page.of(messages, _message_key, has_next=has_next, has_previous=has_previous)
    return MessagePage(access, shown, replies, authors, kept)


def _message_key(message: Message) -> tuple[int]:
    return (message.id,)


async def mark_read(
    session: AsyncSession, user: User, chat_id: int, message_id: int | None
) -> Chat:
    """Move the caller's read marker up to `message_id` (default: the latest); never back."""
    chat = (await chat_access(session, chat_id, user.id)).chat
    if message_id is None:
        target = await session.scalar(
            select(func.max(Message.id)).where(Message.chat_id == chat_id)
        )
        if target is None:
            return chat
    else:
        owner = await session.scalar(select(Message.chat_id).where(Message.id == message_id))
        if owner != chat_id:
            raise BadUserInput("messageId must be a message of this chat", field="messageId")
        target = message_id
    if not await _advance(session, chat_id, user.id, target):
        try:
            await session.execute(
                insert(ReadMarker).values(
                    chat_id=chat_id,
                    user_id=user.id,
                    last_read_message_id=target,
                    updated_at=utcnow(),
                )
            )
            await session.flush()
        except IntegrityError:  # a marker appeared meanwhile: move that one instead
            await session.rollback()
            await _advance(session, chat_id, user.id, target)
    await session.commit()
    return chat


async def _advance(session: AsyncSession, chat_id: int, user_id: int, target: int) -> bool:
    """Raise an existing marker to `target` (atomically); False when there is no marker."""
    await session.execute(
        update(ReadMarker)
        .where(
            ReadMarker.chat_id == chat_id,
            ReadMarker.user_id == user_id,
            ReadMarker.last_read_message_id < target,
        )
        .values(last_read_message_id=target, updated_at=utcnow())
    )
    exists = await session.scalar(
        select(ReadMarker.chat_id).where(
            ReadMarker.chat_id == chat_id, ReadMarker.user_id == user_id
        )
    )
    return exists is not None


def message_cursor(cursor: str, field: str) -> int:
    """The message id a history cursor points at; BAD_USER_INPUT for anything else."""
    (message_id,) = cursor_fields(decode_cursor(cursor, field=field), (int,), field=field)
    return int(message_id)
