"""Notification, and the notification queries and mutations."""

from datetime import datetime
from typing import Annotated, Self

import strawberry

from db import models
from graphql_schema.arguments import After, First
from graphql_schema.connections import Connection
from graphql_schema.enums import NotificationKind
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Message
from graphql_schema.node import Node
from graphql_schema.spaces import Space
from graphql_schema.users import User, load_user
from graphql_schema.viewer import DEPENDS_ON_VIEWER
from resolvers import notifications
from resolvers.pagination import page_request


@strawberry.type(name="Notification", description="Something that happened to the caller.")
class Notification(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    kind: NotificationKind = strawberry.field(description="What happened.")
    read_at: datetime | None = strawberry.field(description="Null while unread.")
    created_at: datetime = strawberry.field(description="When it happened.")
    row: strawberry.Private[models.Notification]

    @classmethod
    def from_row(cls, row: models.Notification) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Notification", row.id)),
            kind=row.kind,
            read_at=row.read_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Who caused it; null once their account is gone.")
    async def actor(self, info: Info) -> User | None:
        return await load_user(info, self.row.actor_id) if self.row.actor_id else None

    @strawberry.field(
        description="Null when the message's chat is no longer readable.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def message(self, info: Info) -> Message | None:
        if self.row.message_id is None:
            return None
        row = await info.context.loaders.readable_messages.load(self.row.message_id)
        return Message.from_row(row) if row else None

    @strawberry.field(description="The space it happened in; null if none or deleted.")
    async def space(self, info: Info) -> Space | None:
        if self.row.space_id is None:
            return None
        row = await info.context.session.get(models.Space, self.row.space_id)
        return Space.from_row(row) if row else None


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="Newest first.")
    async def notifications(
        self,
        info: Info,
        unread_only: Annotated[
            bool | None, strawberry.argument(description="Only those not yet read.")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[Notification]:
        ctx = info.context
        page = await notifications.notifications(
            ctx.session, ctx.require_user(), bool(unread_only), page_request(first, after)
        )
        return Connection[Notification].from_page(page, Notification.from_row)

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        ctx = info.context
        return await notifications.unread_count(ctx.session, ctx.require_user())


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Mark one of the caller's notifications read; idempotent.")
    async def mark_notification_read(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A Notification id.")],
    ) -> Notification:
        ctx = info.context
        row = await notifications.mark_read(
            ctx.session, ctx.require_user(), pk_from_global_id(id, "Notification")
        )
        return Notification.from_row(row)

    @strawberry.mutation(description="How many were unread.")
    async def mark_all_notifications_read(self, info: Info) -> int:
        ctx = info.context
        return await notifications.mark_all_read(ctx.session, ctx.require_user())
