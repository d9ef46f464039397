"""Blocking queries and mutations."""

from typing import Annotated

import strawberry

from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.users import User
from resolvers import blocks

UserId = Annotated[strawberry.ID, strawberry.argument(description="A User id.")]


@strawberry.type
class BlockQuery:
    @strawberry.field(description="The users the caller has blocked, most recent first.")
    async def blocked_users(self, info: Info) -> list[User]:
        ctx = info.context
        return [
            User.from_row(row)
            for row in await blocks.blocked_users(ctx.session, ctx.require_user())
        ]


@strawberry.type
class BlockMutation:
    @strawberry.mutation(
        description="Block a user: they can no longer message you directly, add you to "
        "groups or notify you, and see you OFFLINE. Blocking again changes nothing."
    )
    async def block_user(self, info: Info, user_id: UserId) -> User:
        ctx = info.context
        row = await blocks.block_user(
            ctx.session, ctx.require_user(), pk_from_global_id(user_id, "User", field="userId")
        )
        return User.from_row(row)

    @strawberry.mutation(description="Lift a block; unblocking again changes nothing.")
    async def unblock_user(self, info: Info, user_id: UserId) -> User:
        ctx = info.context
        row = await blocks.unblock_user(
            ctx.session, ctx.require_user(), pk_from_global_id(user_id, "User", field="userId")
        )
        return User.from_row(row)
