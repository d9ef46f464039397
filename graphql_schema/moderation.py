"""Ban, and the kick and ban mutations."""

from datetime import datetime
from typing import Self

import strawberry

from db import models
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.users import User, load_user
from resolvers import moderation


@strawberry.type(name="Ban")
class Ban:
    id: strawberry.ID = strawberry.field(
        description="The same while the ban lasts (banning again updates it), for caches."
    )
    reason: str | None
    created_at: datetime
    expires_at: datetime | None
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

    @strawberry.field
    async def user(self, info: Info) -> User:
        return await load_user(info, self.row.user_id)

    @strawberry.field
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
        self, info: Info, space_id: strawberry.ID, user_id: strawberry.ID, reason: str | None = None
    ) -> bool:
        ctx = info.context
        return await moderation.kick_member(
            ctx.session, ctx.rate_limiter, ctx.require_user(), *_pks(space_id, user_id), reason
        )

    @strawberry.mutation(description="Remove (if a member) and keep out until unbanned or expired.")
    async def ban_member(
        self,
        info: Info,
        space_id: strawberry.ID,
        user_id: strawberry.ID,
        reason: str | None = None,
        expires_at: datetime | None = None,
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
    async def unban_member(
        self, info: Info, space_id: strawberry.ID, user_id: strawberry.ID
    ) -> bool:
        ctx = info.context
        return await moderation.unban_member(
            ctx.session, ctx.rate_limiter, ctx.require_user(), *_pks(space_id, user_id)
        )
