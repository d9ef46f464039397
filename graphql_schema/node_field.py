"""`node(id)`: fetch any entity by its global id, if the caller may see it."""

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from graphql_schema.chats import Chat
from graphql_schema.ids import parse_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Attachment, Message
from graphql_schema.node import Node
from graphql_schema.notifications import Notification
from graphql_schema.roles import Role
from graphql_schema.sessions import Session
from graphql_schema.spaces import Space
from graphql_schema.users import User
from resolvers import chats, messages, notifications, roles, sessions, spaces


async def _user(info: Info, pk: int) -> Node | None:
    row = await info.context.loaders.users.load(pk)
    return User.from_row(row) if row else None


async def _space(info: Info, pk: int) -> Node | None:
    ctx = info.context
    found = await spaces.find_visible(ctx.session, ctx.require_user(), pk)
    if found is None:
        return None
    ctx.remember_standing(found)
    return Space.from_row(found.space)


async def _chat(info: Info, pk: int) -> Node | None:
    ctx = info.context
    row = await chats.find_visible_chat(ctx.session, ctx.require_user(), pk)
    return Chat.from_row(row, readable=True) if row else None


async def _role(info: Info, pk: int) -> Node | None:
    ctx = info.context
    row = await roles.find_visible_role(ctx.session, ctx.require_user(), pk)
    return Role.from_row(row) if row else None


async def _message(info: Info, pk: int) -> Node | None:
    ctx = info.context
    row = await messages.find_visible_message(ctx.session, ctx.require_user(), pk)
    return Message.from_row(row) if row else None


async def _attachment(info: Info, pk: int) -> Node | None:
    ctx = info.context
    row = await messages.find_visible_attachment(ctx.session, ctx.require_user(), pk)
    return Attachment.from_row(row) if row else None


async def _notification(info: Info, pk: int) -> Node | None:
    ctx = info.context
    row = await notifications.find_own(ctx.session, ctx.require_user(), pk)
    return Notification.from_row(row) if row else None


async def _session(info: Info, pk: int) -> Node | None:
    ctx = info.context
    row = await sessions.find_own(ctx.session, ctx.require_user().id, pk)
    return Session.from_row(row) if row else None


FETCHERS: dict[str, Callable[[Info, int], Awaitable[Node | None]]] = {
    "User": _user,
    "Space": _space,
    "Chat": _chat,
    "Role": _role,
    "Message": _message,
    "Attachment": _attachment,
    "Notification": _notification,
    "Session": _session,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="The entity with this id, or null when it does not exist or is not visible."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Any Node's id.")],
    ) -> Node | None:
        """The entity with this id, or null when it does not exist or is not visible."""
        info.context.require_user()
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] not in FETCHERS:
            return None
        return await FETCHERS[parsed[0]](info, parsed[1])
