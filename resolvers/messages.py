"""Sending, editing and deleting messages, and the notifications they cause."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.base import utcnow
from db.models import (
    Attachment,
    Chat,
    Mention,
    Message,
    MessageKind,
    Reaction,
    User,
)
from infra.errors import BadUserInput, Conflict, NotFound
from infra.events import MessageCreated, MessageDeleted, MessageUpdated
from infra.rate_limits import RateLimiter
from infra.settings import Settings
from infra.storage import Storage
from resolvers import attachments, mentions, pins, revisions
from resolvers.announcements import message_event
from resolvers.permissions import (
    ChatAccess,
    Permission,
    chat_access,
    message_access,
    require_deletable,
    require_direct_sendable,
    require_editable,
    require_sendable,
    viewers_among,
)
from resolvers.uploads import UploadFile

CONTENT_MAX = 4000
CLIENT_MESSAGE_ID_MAX = 64


@dataclass(frozen=True)
class NewMessage:
    chat_id: int
    content: str | None = None
    reply_to_id: int | None = None
    client_message_id: str | None = None
    files: Sequence[UploadFile] = ()


@dataclass(frozen=True)
class Sent:
    message: Message
    created: bool  # False when a clientMessageId returned the first message again


async def send_message(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    limiter: RateLimiter,
    user: User,
    new: NewMessage,
) -> Sent:
    """Post to a chat; the same clientMessageId from the same user returns the first message.

    A retry that finds its first message is answered before the rate limit counts, so a
    client resending after a lost response is never refused for it.
    """
    access = await chat_access(session, new.chat_id, user.id)
    require_sendable(access)
    await require_direct_sendable(session, access.chat, user.id)
    if new.files:
        access.require(Permission.ATTACH_FILES)
    content = _content(new.content, has_files=bool(new.files))
    client_id = _client_message_id(new.client_message_id)
    # Plain ids: a rollback below expires the ORM objects.
    user_id, chat_id = user.id, access.chat.id
    if client_id is not None and (
        first := await _sent_before(session, user_id, client_id, chat_id)
    ):
        return Sent(first, created=False)
    await limiter.hit(settings.message_limit, "message", str(user_id))
    reply_to = await _reply_target(session, access.chat, new.reply_to_id)
    incoming = await attachments.read_files(list(new.files), settings)
    stored = await attachments.store(storage, chat_id, incoming)
    keys = [row.storage_key for row in stored]
    try:
        message = await _insert(session, access, user, content, reply_to, client_id, stored)
    except IntegrityError:  # the same clientMessageId raced in from another request
        await session.rollback()
        await _forget(storage, keys)
        first = await _sent_before(session, user_id, client_id or "", chat_id)
        assert first is not None
        return Sent(first, created=False)
    except BaseException:
        await _forget(storage, keys)
        raise
    return Sent(message, created=True)


async def edit_message(
    session: AsyncSession,
    settings: Settings,
    limiter: RateLimiter,
    user: User,
    message_id: int,
    content: str,
) -> Message:
    """The author changes the text; the text replaced joins the edit history, and newly
    mentioned users are notified.

    Editing needs SEND_MESSAGES like sending: an edit shows new words to the chat and may
    notify whoever it newly mentions. An edit to the same text (after trimming) changes
    nothing: no version, no new editedAt, no event, not counted against the rate limit.
    """
    message, access = await message_access(session, message_id, user.id)
    require_editable(message, access)
    has_files = await session.scalar(
        select(Attachment.id).where(Attachment.message_id == message.id)
    )
    new_content = _content(content, has_files=has_files is not None)
    if new_content == message.content:
        return message  # no new version: no revision, editedAt and events as they were
    await limiter.hit(settings.message_limit, "message", str(user.id))
    now = utcnow()
    await revisions.keep_replaced(session, message, message.content or "", now)
    message.content = new_content
    message.edited_at = now
    before = set(
        await session.scalars(select(Mention.user_id).where(Mention.message_id == message.id))
    )
    await session.execute(delete(Mention).where(Mention.message_id == message.id))
    await session.flush()
    mentioned = await mentions.record(session, access, message)
    newly = [u for u in mentioned if u.id not in before]
    await mentions.notify(session, access.chat, message, user, newly, replied_author=None)
    await message_event(session, access.chat, MessageUpdated, message.id)
    await session.commit()
    return message


async def delete_message(
    session: AsyncSession, storage: Storage, user: User, message_id: int
) -> Message:
    """Soft delete by the author, or by MANAGE_MESSAGES in a channel: the tombstone stays,
    unpinned and with no text left (its edit history goes too)."""
    message, access = await message_access(session, message_id, user.id)
    require_deletable(message, access)
    if message.deleted_at is not None:
        return message
    keys = list(
        await session.scalars(
            select(Attachment.storage_key).where(Attachment.message_id == message.id)
        )
    )
    for table in (Attachment, Mention, Reaction):
        await session.execute(delete(table).where(table.message_id == message.id))
    await revisions.forget(session, message.id)
    pins.unpin(message)
    message.content = None
    message.mentions_everyone = False
    message.deleted_at = utcnow()
    await message_event(session, access.chat, MessageDeleted, message.id)
    await session.commit()
    for key in keys:
        await storage.delete(key)
    return message


async def find_visible_message(
    session: AsyncSession, user: User, message_id: int
) -> Message | None:
    """The message if the caller may read its chat; else None."""
    try:
        return (await message_access(session, message_id, user.id))[0]
    except NotFound:
        return None


async def find_visible_attachment(
    session: AsyncSession, user: User, attachment_id: int
) -> Attachment | None:
    """The attachment if it is sent and the caller may read its message; else None."""
    row = await session.get(Attachment, attachment_id)
    if row is None or row.message_id is None:
        return None
    if await find_visible_message(session, user, row.message_id) is None:
        return None
    return row


def _content(raw: str | None, *, has_files: bool) -> str:
    content = (raw or "").strip()
    if len(content) > CONTENT_MAX:
        raise BadUserInput(f"A message has at most {CONTENT_MAX} characters", field="content")
    if not content and not has_files:
        raise BadUserInput("A message needs content or an attachment", field="content")
    return content


def _client_message_id(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not 1 <= len(raw) <= CLIENT_MESSAGE_ID_MAX:
        raise BadUserInput(
            f"clientMessageId must be 1-{CLIENT_MESSAGE_ID_MAX} characters", field="clientMessageId"
        )
    return raw


async def _sent_before(
    session: AsyncSession, user_id: int, client_id: str, chat_id: int
) -> Message | None:
    first = await session.scalar(
        select(Message).where(Message.author_id == user_id, Message.client_message_id == client_id)
    )
    if first is not None and first.chat_id != chat_id:
        raise Conflict("This clientMessageId was used in another chat", field="clientMessageId")
    return first


async def _reply_target(
    session: AsyncSession, chat: Chat, reply_to_id: int | None
) -> Message | None:
    if reply_to_id is None:
        return None
    target = await session.get(Message, reply_to_id)
    if target is None or target.chat_id != chat.id:
        raise BadUserInput("replyToId must be a message of the same chat", field="replyToId")
    return target


async def _insert(
    session: AsyncSession,
    access: ChatAccess,
    user: User,
    content: str,
    reply_to: Message | None,
    client_id: str | None,
    stored: list[Attachment],
) -> Message:
    message = Message(
        chat_id=access.chat.id,
        author_id=user.id,
        kind=MessageKind.TEXT,
        content=content,
        reply_to_id=reply_to.id if reply_to else None,
        client_message_id=client_id,
    )
    session.add(message)
    await session.flush()
    for row in stored:
        row.message_id = message.id
        row.uploader_id = user.id
    session.add_all(stored)
    mentioned = await mentions.record(session, access, message)
    replied = reply_to.author_id if reply_to else None
    if replied is not None and replied not in await viewers_among(session, access.chat, [replied]):
        replied = None  # they can no longer read this chat
    await mentions.notify(session, access.chat, message, user, mentioned, replied_author=replied)
    await message_event(session, access.chat, MessageCreated, message.id)
    await _mark_activity(session, access.chat, message.created_at)
    await session.commit()
    return message


async def _mark_activity(session: AsyncSession, chat: Chat, at: datetime) -> None:
    """Move the chat up its readers' chat lists, unless another send holds its row.

    Every send updating the chat's row would make concurrent sends into one chat queue on
    that row's lock, each for the rest of the other's transaction (measured: 50 clients in
    one channel managed 99 sends a second, most of them waiting on the lock). A send that
    finds the row locked skips the update instead: the holder is a send that is writing a
    time a few milliseconds older. NO KEY UPDATE, because each inserted message holds a KEY
    SHARE lock on its chat (the foreign key), which must not count as a holder. SQLite has
    no row locks (it writes one transaction at a time) and renders no locking clause.
    """
    free = (
        select(Chat.id)
        .where(Chat.id == chat.id, Chat.last_activity_at < at)
        .with_for_update(skip_locked=True, key_share=True)
        .scalar_subquery()
    )
    moved = await session.execute(
        update(Chat)
        .where(Chat.id == free)
        .values(last_activity_at=at)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        set_committed_value(chat, "last_activity_at", at)


async def _forget(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        await storage.delete(key)
