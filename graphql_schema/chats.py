"""Chat (channels, direct and group chats) and the chat queries and mutations."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from db import models
from graphql_schema.arguments import (
    After,
    ChatId,
    First,
    HistoryAfter,
    HistoryBefore,
    HistoryFirst,
    HistoryLast,
    RoleId,
    SpaceId,
    UserId,
)
from graphql_schema.connections import Connection
from graphql_schema.enums import ChatKind, Permission, permission_flags, permission_list
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.node import Node
from graphql_schema.roles import Role
from graphql_schema.users import User
from graphql_schema.viewer import DEPENDS_ON_VIEWER
from resolvers import chats, history, overwrites
from resolvers.pagination import page_request
from resolvers.permissions import may_send
from resolvers.pins import MAX_PINS

ChannelFieldsArg = Annotated[
    "ChannelInput", strawberry.argument(description="The channel's title and topic.")
]

if TYPE_CHECKING:
    from graphql_schema.messages import Message, MessageConnection
    from graphql_schema.spaces import Space


@strawberry.type(
    name="PermissionOverwrite",
    description="What one role is allowed and denied in one channel over its space-wide set.",
)
class PermissionOverwrite:
    role: Role = strawberry.field(description="The role it applies to.")
    allow: list[Permission] = strawberry.field(description="Granted here even if not space-wide.")
    deny: list[Permission] = strawberry.field(description="Withheld here even if space-wide.")

    @classmethod
    def from_domain(cls, found: overwrites.RoleOverwrite) -> Self:
        return cls(
            role=Role.from_row(found.role),
            allow=permission_list(found.overwrite.allow),
            deny=permission_list(found.overwrite.deny),
        )


@strawberry.type(
    name="Chat", description="A conversation: a space's channel, a direct chat or a group chat."
)
class Chat(Node):
    """What a chat shows beyond its id and kind, it shows only to those who may read it.

    A chat reached from an event (the one just left) may no longer be readable: built
    `from_row` without `readable`, it asks (batched for the whole response) when a field
    needs to know.
    """

    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    kind: ChatKind = strawberry.field(description="Channel, direct or group chat.")
    created_at: datetime = strawberry.field(description="When the chat was created.")
    row: strawberry.Private[models.Chat]
    known_readable: strawberry.Private[bool]

    @classmethod
    def from_row(cls, row: models.Chat, *, readable: bool = False) -> Self:
        """`readable`: the caller has established that the viewer may read the chat."""
        return cls(
            id=strawberry.ID(to_global_id("Chat", row.id)),
            kind=row.kind,
            created_at=row.created_at,
            row=row,
            known_readable=readable,
        )

    async def _readable(self, info: Info) -> bool:
        if self.known_readable:
            return True
        return await info.context.loaders.chat_access.load(self.row.id) is not None

    @strawberry.field(
        description="Channels and groups; null for DIRECT.", metadata=DEPENDS_ON_VIEWER
    )
    async def title(self, info: Info) -> str | None:
        return self.row.title if await self._readable(info) else None

    @strawberry.field(
        description="Channels: what it is about, up to 1024 characters; null: none or unreadable.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def topic(self, info: Info) -> str | None:
        return self.row.topic if await self._readable(info) else None

    @strawberry.field(description="CHANNEL only.", metadata=DEPENDS_ON_VIEWER)
    async def space(
        self, info: Info
    ) -> Annotated["Space", strawberry.lazy("graphql_schema.spaces")] | None:
        from graphql_schema.spaces import Space

        if self.row.space_id is None or not await self._readable(info):
            return None
        row = await info.context.loaders.spaces.load(self.row.space_id)
        return Space.from_row(row) if row is not None else None

    @strawberry.field(
        description="Oldest to newest; see Query.messages.", metadata=DEPENDS_ON_VIEWER
    )
    async def messages(
        self,
        info: Info,
        first: HistoryFirst = None,
        after: HistoryAfter = None,
        last: HistoryLast = None,
        before: HistoryBefore = None,
    ) -> Annotated["MessageConnection", strawberry.lazy("graphql_schema.messages")]:
        from graphql_schema.messages import message_page

        return await message_page(info, self.row.id, first, after, last, before)

    @strawberry.field(
        description="The newest message; null when there is none.", metadata=DEPENDS_ON_VIEWER
    )
    async def last_message(
        self, info: Info
    ) -> Annotated["Message", strawberry.lazy("graphql_schema.messages")] | None:
        from graphql_schema.messages import Message

        if not await self._readable(info):
            return None
        row = await info.context.loaders.last_messages.load(self.row.id)
        return Message.from_row(row) if row else None

    @strawberry.field(
        description="Messages after my read marker, not my own.", metadata=DEPENDS_ON_VIEWER
    )
    async def unread_count(self, info: Info) -> int:
        if not await self._readable(info):
            return 0
        return await info.context.loaders.unread_counts.load(self.row.id)

    @strawberry.field(
        description=f"Most recently pinned first (at most {MAX_PINS}); never deleted messages.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def pinned_messages(
        self, info: Info
    ) -> list[Annotated["Message", strawberry.lazy("graphql_schema.messages")]]:
        from graphql_schema.messages import Message

        if not await self._readable(info):
            return []
        rows = await info.context.loaders.pinned_messages.load(self.row.id)
        return [Message.from_row(row) for row in rows]

    @strawberry.field(
        description="DIRECT and GROUP; empty for channels.", metadata=DEPENDS_ON_VIEWER
    )
    async def participants(self, info: Info) -> list[User]:
        if self.row.space_id is not None or not await self._readable(info):
            return []
        rows = await info.context.loaders.participants.load(self.row.id)
        return [User.from_row(row) for row in rows]

    @strawberry.field(
        description="CHANNEL only: what each role is allowed and denied here over its "
        "space-wide permissions, highest role first. Empty unless the caller may manage "
        "channels.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def permission_overwrites(self, info: Info) -> list[PermissionOverwrite]:
        access = await info.context.loaders.chat_access.load(self.row.id)
        if access is None:
            return []
        found = await overwrites.channel_overwrites(info.context.session, access)
        return [PermissionOverwrite.from_domain(overwrite) for overwrite in found]

    @strawberry.field(
        description="What the caller may do here, channel overwrites applied (in DIRECT and "
        "GROUP chats, what taking part allows); empty when it may not read the chat.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def viewer_permissions(self, info: Info) -> list[Permission]:
        access = await info.context.loaders.chat_access.load(self.row.id)
        return permission_list(access.permissions) if access is not None else []

    @strawberry.field(
        description="Whether sendMessage would let the caller post here now.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def viewer_can_send(self, info: Info) -> bool:
        access = await info.context.loaders.chat_access.load(self.row.id)
        return access is not None and may_send(access)


@strawberry.input(description="A channel's title and topic.")
class ChannelInput:
    title: str = strawberry.field(description="1 to 100 characters.")
    topic: str | None = strawberry.field(
        default=None, description="Up to 1024 characters; null: none."
    )

    def to_fields(self) -> chats.ChannelFields:
        return chats.ChannelFields(self.title, self.topic)


@strawberry.input(description="A new group chat.")
class CreateGroupChatInput:
    title: str | None = strawberry.field(
        default=None, description="1 to 100 characters; null: none."
    )
    user_ids: list[strawberry.ID] = strawberry.field(
        description="User ids of the others, at least one, at most 24."
    )


@strawberry.type
class ChatQuery:
    @strawberry.field(description="A chat the caller can see, or null.")
    async def chat(self, info: Info, id: ChatId) -> Chat | None:
        ctx = info.context
        ctx.require_user()
        # The access check itself, through the loader: the viewer* fields read it again.
        access = await ctx.loaders.chat_access.load(pk_from_global_id(id, "Chat"))
        return Chat.from_row(access.chat, readable=True) if access else None

    @strawberry.field(description="DIRECT and GROUP chats, most recent activity first.")
    async def my_chats(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Chat]:
        ctx = info.context
        page = await chats.my_chats(ctx.session, ctx.require_user(), page_request(first, after))
        return Connection[Chat].from_page(page, lambda row: Chat.from_row(row, readable=True))


@strawberry.type
class ChatMutation:
    @strawberry.mutation(description="MANAGE_CHANNELS: a new channel in the space.")
    async def create_channel(self, info: Info, space_id: SpaceId, input: ChannelFieldsArg) -> Chat:
        ctx = info.context
        space_pk = pk_from_global_id(space_id, "Space", field="spaceId")
        row = await chats.create_channel(
            ctx.session, ctx.rate_limiter, ctx.require_user(), space_pk, input.to_fields()
        )
        return Chat.from_row(row)

    @strawberry.mutation(description="MANAGE_CHANNELS: change a channel's title and topic.")
    async def update_channel(self, info: Info, chat_id: ChatId, input: ChannelFieldsArg) -> Chat:
        ctx = info.context
        chat_pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        row = await chats.update_channel(
            ctx.session, ctx.rate_limiter, ctx.require_user(), chat_pk, input.to_fields()
        )
        return Chat.from_row(row)

    @strawberry.mutation(
        description="Allow and deny channel-scoped permissions to one role in one channel, "
        "over its space-wide set (both lists empty: remove the overwrite). MANAGE_CHANNELS, "
        "for roles below your highest, and only permissions you have in the channel."
    )
    async def set_channel_permissions(
        self,
        info: Info,
        chat_id: ChatId,
        role_id: RoleId,
        allow: Annotated[
            list[Permission],
            strawberry.argument(description="Channel-scoped permissions to grant."),
        ],
        deny: Annotated[
            list[Permission],
            strawberry.argument(description="Channel-scoped permissions to withhold."),
        ],
    ) -> Chat:
        ctx = info.context
        row = await overwrites.set_channel_permissions(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            pk_from_global_id(chat_id, "Chat", field="chatId"),
            pk_from_global_id(role_id, "Role", field="roleId"),
            permission_flags(allow),
            permission_flags(deny),
        )
        return Chat.from_row(row, readable=True)

    @strawberry.mutation(description="MANAGE_CHANNELS: removes the channel and its messages.")
    async def delete_channel(self, info: Info, chat_id: ChatId) -> bool:
        ctx = info.context
        chat_pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        return await chats.delete_channel(ctx.session, ctx.attachments, ctx.require_user(), chat_pk)

    @strawberry.mutation(description="Idempotent: the same DIRECT chat every time.")
    async def open_direct_chat(self, info: Info, user_id: UserId) -> Chat:
        ctx = info.context
        user_pk = pk_from_global_id(user_id, "User", field="userId")
        row = await chats.open_direct_chat(
            ctx.session, ctx.rate_limiter, ctx.require_user(), user_pk
        )
        return Chat.from_row(row, readable=True)

    @strawberry.mutation(description="Up to 25 participants, the creator included.")
    async def create_group_chat(
        self,
        info: Info,
        input: Annotated[CreateGroupChatInput, strawberry.argument(description="The new group.")],
    ) -> Chat:
        ctx = info.context
        user_pks = [pk_from_global_id(uid, "User", field="userIds") for uid in input.user_ids]
        row = await chats.create_group_chat(
            ctx.session, ctx.rate_limiter, ctx.require_user(), input.title, user_pks
        )
        return Chat.from_row(row, readable=True)

    @strawberry.mutation(
        description="Add someone to a group chat you take part in (at most 25); again: no change."
    )
    async def add_chat_participant(self, info: Info, chat_id: ChatId, user_id: UserId) -> Chat:
        ctx = info.context
        row = await chats.add_participant(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            pk_from_global_id(chat_id, "Chat", field="chatId"),
            pk_from_global_id(user_id, "User", field="userId"),
        )
        return Chat.from_row(row, readable=True)

    @strawberry.mutation(description="Default: up to the latest message. Never moves back.")
    async def mark_chat_read(
        self,
        info: Info,
        chat_id: ChatId,
        message_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Read up to this Message.")
        ] = None,
    ) -> Chat:
        ctx = info.context
        row = await history.mark_read(
            ctx.session,
            ctx.require_user(),
            pk_from_global_id(chat_id, "Chat", field="chatId"),
            pk_from_global_id(message_id, "Message", field="messageId") if message_id else None,
        )
        return Chat.from_row(row, readable=True)

    @strawberry.mutation(
        description="Tell the chat's other readers you are typing; false when throttled "
        "(at most once per 3 s per chat)."
    )
    async def send_typing(self, info: Info, chat_id: ChatId) -> bool:
        ctx = info.context
        user = ctx.require_user()
        pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        return await chats.announce_typing(ctx.session, ctx.rate_limiter, ctx.publisher, user, pk)

    @strawberry.mutation(description="Leave a group chat.")
    async def leave_chat(self, info: Info, chat_id: ChatId) -> bool:
        ctx = info.context
        chat_pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        return await chats.leave_chat(ctx.session, ctx.require_user(), chat_pk)
