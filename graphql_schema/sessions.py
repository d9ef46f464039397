"""Signed-in devices: `sessions` and `revokeSession`."""

from datetime import datetime
from typing import Annotated, Self

import strawberry

from db import models
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.node import Node
from graphql_schema.viewer import DEPENDS_ON_VIEWER
from resolvers import sessions


@strawberry.type(name="Session", description="A signed-in device: one refresh-token family.")
class Session(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    created_at: datetime = strawberry.field(description="When the device signed in.")
    last_used_at: datetime = strawberry.field(
        description="When it last signed in or refreshed its token (to the minute)."
    )
    user_agent: str | None = strawberry.field(
        description="The User-Agent it signed in with (up to 256 characters); null if none."
    )
    row: strawberry.Private[models.DeviceSession]

    @classmethod
    def from_row(cls, row: models.DeviceSession) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Session", row.id)),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            user_agent=row.user_agent,
            row=row,
        )

    @strawberry.field(
        description="Whether the request's access token belongs to this session.",
        metadata=DEPENDS_ON_VIEWER,
    )
    def current(self, info: Info) -> bool:
        return info.context.session_id == self.row.id


@strawberry.type
class SessionQuery:
    @strawberry.field(description="My signed-in devices, newest first.")
    async def sessions(self, info: Info) -> list[Session]:
        ctx = info.context
        rows = await sessions.my_sessions(ctx.session, ctx.settings, ctx.require_user().id)
        return [Session.from_row(row) for row in rows]


@strawberry.type
class SessionMutation:
    @strawberry.mutation(
        description="Sign a device out: its refresh and access tokens stop working at once, "
        "and its sockets close (4403, `session ended`). NOT_FOUND for another user's session."
    )
    async def revoke_session(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A Session id.")],
    ) -> bool:
        ctx = info.context
        user = ctx.require_user()
        return await sessions.revoke_session(
            ctx.session, ctx.ended_sessions, user.id, pk_from_global_id(id, "Session")
        )
