"""Message, Attachment, ReactionGroup, and the message queries and mutations."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional, Self, cast

import strawberry
from strawberry.file_uploads import Upload

from db import models
from graphql_schema.arguments import (
    ChatId,
    HistoryAfter,
    HistoryBefore,
    HistoryFirst,
    HistoryLast,
    MessageId,
)
from graphql_schema.connections import Connection
from graphql_schema.enums import MessageKind
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.loaded import when_loaded
from graphql_schema.node import Node
from graphql_schema.selection import fields_at
from graphql_schema.users import User, user_from_row
from graphql_schema.viewer import DEPENDS_ON_VIEWER
from loaders import messages as loaded_reactions
from loaders.messages import REACTION_SAMPLE, reactions_and_mentions
from resolvers import attachments, history, messages, reactions
from resolvers.permissions import ChatAccess, may_delete, may_edit, may_pin, may_react
from resolvers.revisions import MAX_REVISIONS
from resolvers.uploads import UploadFile

if TYPE_CHECKING:
    from graphql_schema.chats import Chat

Emoji = Annotated[str, strawberry.argument(description="A single Unicode emoji.")]


@strawberry.type(name="Attachment", description="A file sent with a message.")
class Attachment(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    filename: str = strawberry.field(description="As uploaded, without path or control characters.")
    content_type: str = strawberry.field(description="Its media type, e.g. `image/png`.")
    size: int = strawberry.field(description="In bytes.")
    width: int | None = strawberry.field(description="In pixels, for images; null otherwise.")
    height: int | None = strawberry.field(description="In pixels, for images; null otherwise.")
    row: strawberry.Private[models.Attachment]

    @classmethod
    def from_row(cls, row: models.Attachment) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Attachment", row.id)),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            width=row.width,
            height=row.height,
            row=row,
        )

    @strawberry.field(description="A signed download link, valid for an hour.")
    def url(self, info: Info) -> str:
        ctx = info.context
        return attachments.signed_url(ctx.settings, ctx.public_base_url, self.row)


@strawberry.type(
    name="ReactionGroup",
    description="One emoji's reactions to a message; part of its Message (no id of its own).",
)
class ReactionGroup:
    emoji: str = strawberry.field(description="A single Unicode emoji.")
    count: int = strawberry.field(description="How many reacted with it.")
    reacted_by_me: bool = strawberry.field(
        description="Whether the caller is one of them.", metadata=DEPENDS_ON_VIEWER
    )
    sample: strawberry.Private[list[models.User]]

    @strawberry.field(description=f"The first to react, at most {REACTION_SAMPLE}.")
    def users(
        self,
        first: Annotated[int | None, strawberry.argument(description="How many, at most 10.")] = 3,
    ) -> list[User]:
        limit = max(0, min(REACTION_SAMPLE, 3 if first is None else first))
        return [User.from_row(row) for row in self.sample[:limit]]


@strawberry.type(name="MessageRevision", description="A version and when an edit replaced it.")
class MessageRevision:
    content: str = strawberry.field(description="The text as it was.")
    replaced_at: datetime = strawberry.field(description="When an edit replaced it.")


@strawberry.type(name="Message", description="A message in a chat.")
class Message(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    kind: MessageKind = strawberry.field(description="Written by a user or by the server.")
    content: str | None = strawberry.field(description="Null once deleted.")
    mentions_everyone: bool = strawberry.field(
        description="Whether it @everyone-mentions the chat (needs MENTION_EVERYONE)."
    )
    edited_at: datetime | None = strawberry.field(description="The last edit; null if never.")
    deleted_at: datetime | None = strawberry.field(description="Null unless deleted.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    pinned_at: datetime | None = strawberry.field(description="Null unless pinned.")
    row: strawberry.Private[models.Message]

    @classmethod
    def from_row(cls, row: models.Message) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Message", row.id)),
            kind=row.kind,
            content=row.content,
            mentions_everyone=row.mentions_everyone,
            edited_at=row.edited_at,
            deleted_at=row.deleted_at,
            created_at=row.created_at,
            pinned_at=row.pinned_at,
            row=row,
        )

    @strawberry.field(description="The chat it was sent in.")
    async def chat(self, info: Info) -> Annotated["Chat", strawberry.lazy("graphql_schema.chats")]:
        from graphql_schema.chats import Chat

        # A message is only ever shown to a reader of its chat.
        row = await info.context.loaders.chats.load(self.row.chat_id)
        assert row is not None, "a message's chat goes with it"
        return Chat.from_row(row, readable=True)

    # The fields below read loaders that a history page has already filled (message_page):
    # plain functions, so that they cost no coroutine then (see graphql_schema.loaded).

    @strawberry.field(graphql_type=User | None, description="Null for SYSTEM messages.")
    def author(self, info: Info) -> User | Awaitable[User | None] | None:
        if self.row.author_id is None:
            return None
        return when_loaded(info.context.loaders.users.load(self.row.author_id), user_from_row)

    @strawberry.field(
        graphql_type=Optional["Message"],
        description="The message it answers; null if none.",
    )
    def reply_to(self, info: Info) -> "Message | Awaitable[Message | None] | None":
        if self.row.reply_to_id is None:
            return None
        return when_loaded(info.context.loaders.messages.load(self.row.reply_to_id), _message)

    @strawberry.field(graphql_type=list[Attachment], description="Its files, in upload order.")
    def attachments(self, info: Info) -> list[Attachment] | Awaitable[list[Attachment]]:
        return when_loaded(info.context.loaders.attachments.load(self.row.id), _attachments)

    @strawberry.field(
        graphql_type=list[ReactionGroup], description="One group per emoji (at most 20)."
    )
    def reactions(self, info: Info) -> list[ReactionGroup] | Awaitable[list[ReactionGroup]]:
        return when_loaded(info.context.loaders.reactions.load(self.row.id), _reaction_groups)

    @strawberry.field(graphql_type=list[User], description="The users it @mentions.")
    def mentions(self, info: Info) -> list[User] | Awaitable[list[User]]:
        return when_loaded(info.context.loaders.mentions.load(self.row.id), _users)

    @strawberry.field(graphql_type=User | None, description="Who pinned it; null unless pinned.")
    def pinned_by(self, info: Info) -> User | Awaitable[User | None] | None:
        if self.row.pinned_by_id is None:
            return None
        return when_loaded(info.context.loaders.users.load(self.row.pinned_by_id), user_from_row)

    @strawberry.field(
        graphql_type=list[MessageRevision],
        description=f"Earlier versions, oldest first (the last {MAX_REVISIONS}); empty once "
        "deleted.",
    )
    def edit_history(self, info: Info) -> list[MessageRevision] | Awaitable[list[MessageRevision]]:
        return when_loaded(info.context.loaders.edit_histories.load(self.row.id), _revisions)

    # What the caller may do to the message now: the rules its mutations apply, on the
    # caller's access to the chat (which a history page has primed).

    @strawberry.field(
        graphql_type=bool,
        description="Whether editMessage would let the caller edit it now.",
        metadata=DEPENDS_ON_VIEWER,
    )
    def viewer_can_edit(self, info: Info) -> bool | Awaitable[bool]:
        return _capability(info, self.row, may_edit)

    @strawberry.field(
        graphql_type=bool,
        description="Whether the caller may delete it (its author, or MANAGE_MESSAGES).",
        metadata=DEPENDS_ON_VIEWER,
    )
    def viewer_can_delete(self, info: Info) -> bool | Awaitable[bool]:
        return _capability(info, self.row, may_delete)

    @strawberry.field(
        graphql_type=bool,
        description="Whether pinMessage and unpinMessage would let the caller (un)pin it.",
        metadata=DEPENDS_ON_VIEWER,
    )
    def viewer_can_pin(self, info: Info) -> bool | Awaitable[bool]:
        return _capability(info, self.row, may_pin)

    @strawberry.field(
        graphql_type=bool,
        description="Whether the caller may add reactions to it (ADD_REACTIONS).",
        metadata=DEPENDS_ON_VIEWER,
    )
    def viewer_can_react(self, info: Info) -> bool | Awaitable[bool]:
        return _capability(info, self.row, may_react)


def _capability(
    info: Info, row: models.Message, rule: Callable[[models.Message, ChatAccess], bool]
) -> bool | Awaitable[bool]:
    """`rule` on the viewer's access to the message's chat; False where it has none."""
    access = info.context.loaders.chat_access.load(row.chat_id)
    return when_loaded(access, lambda found: found is not None and rule(row, found))


def _message(row: models.Message | None) -> Message | None:
    return Message.from_row(row) if row else None


def _attachments(rows: list[models.Attachment]) -> list[Attachment]:
    return [Attachment.from_row(row) for row in rows]


def _reaction_groups(groups: list[loaded_reactions.ReactionGroup]) -> list[ReactionGroup]:
    return [
        ReactionGroup(
            emoji=group.emoji,
            count=group.count,
            reacted_by_me=group.reacted_by_me,
            sample=group.users,
        )
        for group in groups
    ]


def _users(rows: list[models.User]) -> list[User]:
    return [User.from_row(row) for row in rows]


def _revisions(rows: list[models.MessageRevision]) -> list[MessageRevision]:
    return [MessageRevision(content=row.content, replaced_at=row.replaced_at) for row in rows]


@strawberry.type(description="A page of a chat's messages, oldest first.")
class MessageConnection(Connection[Message]):
    """Named for Chat.messages, which refers to it lazily."""


async def message_page(
    info: Info,
    chat_id: int,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> MessageConnection:
    ctx = info.context
    page = await history.history(
        ctx.session, ctx.require_user(), chat_id, first=first, after=after, last=last, before=before
    )
    prime_with_page(info, page)
    await load_for_page(info, [row.id for row in page.messages.rows])
    return MessageConnection.from_page(page.messages, Message.from_row)


def prime_with_page(info: Info, page: history.MessagePage) -> None:
    """Give the unit's loaders what the page's statement loaded with its messages."""
    # Message.chat and the viewerCan* fields: the access check loaded both.
    prime_loaders(
        info, [page.access], authors=page.authors, replies=page.replies, files=page.attachments
    )


def prime_loaders(
    info: Info,
    accesses: Sequence[ChatAccess],
    *,
    authors: Sequence[models.User],
    replies: Sequence[models.Message],
    files: Mapping[int, list[models.Attachment]],
) -> None:
    """Give the unit's loaders what a page of messages was loaded with: the viewer's access
    to their chats (the chats with it), authors, replied-to messages and attachments."""
    loaders = info.context.loaders
    for access in accesses:
        loaders.chats.prime(access.chat.id, access.chat)
        loaders.chat_access.prime(access.chat.id, access)
    for author in authors:
        loaders.users.prime(author.id, author)
    for reply in replies:
        loaders.messages.prime(reply.id, reply)
    for message_id, attached in files.items():
        loaders.attachments.prime(message_id, attached)


async def load_for_page(info: Info, message_ids: list[int]) -> None:
    """Fill the loaders of what the query selects on the page's messages and the page's
    own statement did not bring (reactions and mentions, in one statement if both), before
    their fields are resolved, so that those need no coroutine."""
    loaders = info.context.loaders
    selected = fields_at(info.selected_fields, info.field_name, "edges", "node")
    if not message_ids or not selected & {"reactions", "mentions"}:
        return
    if "mentions" not in selected:
        await loaders.reactions.load_many(message_ids)
    elif "reactions" not in selected:
        await loaders.mentions.load_many(message_ids)
    else:
        groups, mentioned = await reactions_and_mentions(
            info.context.session, loaders.users, loaders.viewer_id, message_ids
        )
        for message_id in message_ids:
            loaders.reactions.prime(message_id, groups[message_id])
            loaders.mentions.prime(message_id, mentioned[message_id])


@strawberry.input(description="A new message: content, attachments or both.")
class SendMessageInput:
    chat_id: strawberry.ID = strawberry.field(description="The Chat to post in.")
    content: str | None = strawberry.field(
        default=None, description="The text, up to 4000 characters; @tag mentions a user."
    )
    reply_to_id: strawberry.ID | None = strawberry.field(
        default=None, description="A Message of the same chat it answers."
    )
    attachments: list[Upload] | None = strawberry.field(
        default=None,
        description="Up to 10 files (ATTACH_FILES), each at most MAX_UPLOAD_BYTES "
        "(8 MiB by default).",
    )
    client_message_id: str | None = strawberry.field(
        default=None,
        description="Idempotency key, 1 to 64 characters: resending returns the first message.",
    )


@strawberry.type
class MessageQuery:
    @strawberry.field(
        description="Oldest to newest. first/after walks forward from the oldest, last/before "
        "backward from the newest; without either, the newest 50. At most 100 a page."
    )
    async def messages(
        self,
        info: Info,
        chat_id: ChatId,
        first: HistoryFirst = None,
        after: HistoryAfter = None,
        last: HistoryLast = None,
        before: HistoryBefore = None,
    ) -> MessageConnection:
        chat_pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        return await message_page(info, chat_pk, first, after, last, before)


@strawberry.type
class MessageMutation:
    @strawberry.mutation(
        description="clientMessageId makes it idempotent. Sending and editing share a per-user "
        "rate limit (RATE_LIMITED with retryAfter)."
    )
    async def send_message(
        self,
        info: Info,
        input: Annotated[SendMessageInput, strawberry.argument(description="The message.")],
    ) -> Message:
        ctx = info.context
        new = messages.NewMessage(
            chat_id=pk_from_global_id(input.chat_id, "Chat", field="chatId"),
            content=input.content,
            reply_to_id=(
                pk_from_global_id(input.reply_to_id, "Message", field="replyToId")
                if input.reply_to_id
                else None
            ),
            client_message_id=input.client_message_id,
            files=[cast(UploadFile, file) for file in input.attachments or []],
        )
        sent = await messages.send_message(
            ctx.session, ctx.attachments, ctx.settings, ctx.rate_limiter, ctx.require_user(), new
        )
        return Message.from_row(sent.message)

    @strawberry.mutation(
        description="Author only, with SEND_MESSAGES as for sending; sets editedAt and keeps "
        "the replaced text in editHistory. The same text again changes nothing."
    )
    async def edit_message(
        self,
        info: Info,
        id: MessageId,
        content: Annotated[
            str, strawberry.argument(description="The new text, up to 4000 characters.")
        ],
    ) -> Message:
        ctx = info.context
        row = await messages.edit_message(
            ctx.session,
            ctx.settings,
            ctx.rate_limiter,
            ctx.require_user(),
            pk_from_global_id(id, "Message"),
            content,
        )
        return Message.from_row(row)

    @strawberry.mutation(description="Soft delete: content null, deletedAt set.")
    async def delete_message(self, info: Info, id: MessageId) -> Message:
        ctx = info.context
        row = await messages.delete_message(
            ctx.session, ctx.attachments, ctx.require_user(), pk_from_global_id(id, "Message")
        )
        return Message.from_row(row)

    @strawberry.mutation(
        description="ADD_REACTIONS: react with an emoji (at most 20 different per message)."
    )
    async def add_reaction(self, info: Info, message_id: MessageId, emoji: Emoji) -> Message:
        return await _react(info, message_id, emoji, added=True)

    @strawberry.mutation(description="Take back the caller's reaction with this emoji.")
    async def remove_reaction(self, info: Info, message_id: MessageId, emoji: Emoji) -> Message:
        return await _react(info, message_id, emoji, added=False)


async def _react(info: Info, message_id: str, emoji: str, *, added: bool) -> Message:
    ctx = info.context
    user = ctx.require_user()
    pk = pk_from_global_id(message_id, "Message", field="messageId")
    change = reactions.add_reaction if added else reactions.remove_reaction
    row = await change(ctx.session, ctx.rate_limiter, user, pk, emoji)
    return Message.from_row(row)
