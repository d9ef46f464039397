"""Ban, and the kick and ban mutations."""

from datetime import datetime
from typing import Annotated, Self

import strawberry

from db import models
from graphql_schema.arguments import SpaceId, UserId
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.users import User, load_user
from resolvers import moderation

Reason = Annotated[str | None, strawberry.argument(description="Why, up to 512 characters.")]


@strawberry.type(name="Ban", description="A user kept out of a space.")
class Ban:
    id: strawberry.ID = strawberry.field(
        description="The same while the ban lasts (banning again updates it), for caches."
    )
    reason: str | None = strawberry.field(description="As the moderator gave it; null: none.")
    created_at: datetime = strawberry.field(description="When the user was (last) banned.")
    expires_at: datetime | None = strawberry.field(description="Null: until unbanned.")
    row: strawberry.Private[models.Ban]

    @classmethod
    def from_row(cls, row: models.Ban) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Ban", row.id)),
            reason=row.reason,
            created_at=row.created_at,
            expires_at=row.expires_at,
            row=row,
        )

    @strawberry.field(description="Who is banned.")
    async def user(self, info: Info) -> User:
        return await load_user(info, self.row.user_id)

    @strawberry.field(description="Who banned them (last).")
    async def banned_by(self, info: Info) -> User:
        return await load_user(info, self.row.banned_by_id)


def _pks(space_id: str, user_id: str) -> tuple[int, int]:
    return (
        pk_from_global_id(space_id, "Space", field="spaceId"),
        pk_from_global_id(user_id, "User", field="userId"),
    )


@strawberry.type
class ModerationMutation:
    @strawberry.mutation(description="Remove a member ranked below you; they may rejoin.")
    async def kick_member(
        self, info: Info, space_id: SpaceId, user_id: UserId, reason: Reason = None
    ) -> bool:
        ctx = info.context
        return await moderation.kick_member(
            ctx.session, ctx.rate_limiter, ctx.require_user(), *_pks(space_id, user_id), reason
        )

    @strawberry.mutation(description="Remove (if a member) and keep out until unbanned or expired.")
    async def ban_member(
        self,
        info: Info,
        space_id: SpaceId,
        user_id: UserId,
        reason: Reason = None,
        expires_at: Annotated[
            datetime | None, strawberry.argument(description="In the future; null: until unbanned.")
        ] = None,
    ) -> Ban:
        ctx = info.context
        row = await moderation.ban_member(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            *_pks(space_id, user_id),
            reason,
            expires_at,
        )
        return Ban.from_row(row)

    @strawberry.mutation(description="False when the user was not banned.")
    async def unban_member(self, info: Info, space_id: SpaceId, user_id: UserId) -> bool:
        ctx = info.context
        return await moderation.unban_member(
            ctx.session, ctx.rate_limiter, ctx.require_user(), *_pks(space_id, user_id)
        )
