"""Presence: the PresenceChanged event, setStatus and heartbeat, and the presence subscription."""

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from graphql_schema.enums import PresenceStatus
from graphql_schema.events import Source, shared_user
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.users import User
from infra import events
from infra.broadcast import Published
from infra.outbox import presence_topic, space_topic, user_topic
from resolvers import presence


@strawberry.type(description="A user's status as others see it changed.")
class PresenceChanged:
    user: User = strawberry.field(description="Whose status changed.")
    status: PresenceStatus = strawberry.field(description="The status others see.")
    source: Source = None


async def render_presence_changed(
    info: Info, source: Published, event: events.PresenceChanged
) -> PresenceChanged | None:
    user = await shared_user(info, source, event.user_id)
    if user is None:  # the account was deleted since
        return None
    # Whoever the event reached shares what shows this presence (resolvers.permissions.presence).
    user.presence_shown = True
    return PresenceChanged(user=user, status=PresenceStatus(event.status), source=source)


@strawberry.type
class PresenceMutation:
    @strawberry.mutation(
        description="Choose ONLINE, AWAY, DND or INVISIBLE (others see OFFLINE); it applies "
        "while you are connected. OFFLINE is BAD_USER_INPUT."
    )
    async def set_status(
        self,
        info: Info,
        status: Annotated[
            PresenceStatus, strawberry.argument(description="Any status but OFFLINE.")
        ],
    ) -> User:
        ctx = info.context
        row = await presence.set_status(
            ctx.session,
            ctx.presence,
            ctx.publisher,
            ctx.rate_limiter,
            ctx.require_user(),
            status,
        )
        return User.from_row(row, is_self=True)

    @strawberry.mutation(
        description="Stay online without a WebSocket for PRESENCE_TTL_SECONDS (60 s by "
        "default; call it about every 20 s). Always true."
    )
    async def heartbeat(self, info: Info) -> bool:
        ctx = info.context
        await presence.heartbeat(ctx.session, ctx.presence, ctx.publisher, ctx.require_user())
        return True


@strawberry.type
class PresenceSubscription:
    @strawberry.subscription(
        description="With spaceId, presence changes of that space's members (NOT_FOUND unless "
        "you are one; ends when you leave). Without it, those of everyone sharing a direct or "
        "group chat with you, and your own."
    )
    async def presence(
        self,
        info: Info,
        space_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A Space id you are a member of.")
        ] = None,
    ) -> AsyncGenerator[PresenceChanged, None]:
        ctx = info.context
        user = ctx.require_user()
        if space_id is None:
            async with ctx.listen(user_topic(user.id)) as published:
                async for source in published:
                    # The user topic carries other kinds too.
                    if isinstance(event := source.event, events.PresenceChanged) and (
                        rendered := await render_presence_changed(info, source, event)
                    ):
                        yield rendered
            return
        pk = pk_from_global_id(space_id, "Space", field="spaceId")
        async with ctx.event_scope():
            await presence.require_space_member(ctx.session, pk, user.id)
        # space_topic carries membership changes: each one only triggers the re-check.
        with ctx.event_batch.watching_space(pk, user.id):
            async with ctx.listen(presence_topic(pk), space_topic(pk)) as published:
                async for source in published:
                    if not await ctx.event_batch.is_member(source, pk, user.id):
                        return
                    if (
                        isinstance(event := source.event, events.PresenceChanged)
                        and not await ctx.event_batch.is_blocked_by(
                            source, ("space", pk), user.id, event.user_id
                        )
                        and (rendered := await render_presence_changed(info, source, event))
                    ):
                        yield rendered
