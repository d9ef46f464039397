"""Live streams over WebSocket: one chat's events, and everything addressed to me.

For every event the subscriber's rights are read anew: whoever can no longer read a chat
stops receiving at once. The subscriptions one event wakes in this process share that check
and the loading of its rows (loaders.event_batch), and those that select the same fields one
execution of their selection (graphql_schema.event_execution): no subscriber opens a
database session of its own for an event.
"""

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry

from db import models
from graphql_schema.arguments import ChatId
from graphql_schema.events import (
    MembershipChanged,
    MessageCreated,
    MessageDeleted,
    MessageUpdated,
    NotificationCreated,
    ReactionChanged,
    TypingStarted,
    render_membership_changed,
    render_message_event,
    render_notification_created,
    render_reaction_changed,
    render_typing_started,
)
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Message, prime_with_page
from graphql_schema.presence import PresenceChanged, render_presence_changed
from infra import events
from infra.broadcast import Published
from infra.outbox import chat_topic, space_topic, user_topic
from resolvers import history
from resolvers.announcements import not_news
from resolvers.history import message_cursor
from resolvers.permissions import chat_access, hides_blocked_typing

REPLAY_BATCH = 100
MESSAGE_KINDS = (events.MessageCreated, events.MessageUpdated, events.MessageDeleted)

ChatEvent = Annotated[
    MessageCreated
    | MessageUpdated
    | MessageDeleted
    | ReactionChanged
    | TypingStarted
    | MembershipChanged,
    strawberry.union("ChatEvent", description="What happens in one chat (chatEvents)."),
]
UserEvent = Annotated[
    MessageCreated
    | MessageUpdated
    | MessageDeleted
    | NotificationCreated
    | MembershipChanged
    | PresenceChanged,
    strawberry.union("UserEvent", description="What concerns the caller (myEvents)."),
]


async def _render_chat_event(
    info: Info, source: Published, event: events.Event, chat_id: int
) -> ChatEvent | None:
    if isinstance(event, MESSAGE_KINDS):
        return await render_message_event(info, source, event)
    if isinstance(event, events.ReactionChanged):
        return await render_reaction_changed(info, source, event)
    if isinstance(event, events.TypingStarted):
        return await render_typing_started(info, source, event)
    if isinstance(event, events.MembershipChanged):
        return await render_membership_changed(info, source, event, channel_id=chat_id)
    return None  # AccessChanged: the re-check was the point


async def _render_user_event(
    info: Info, source: Published, event: events.Event, user: models.User
) -> UserEvent | None:
    if isinstance(event, MESSAGE_KINDS):
        if not await info.context.event_batch.may_read(source, event.chat_id, user.id):
            return None
        return await render_message_event(info, source, event)
    if isinstance(event, events.NotificationCreated):
        return await render_notification_created(info, source, event, user.id)
    if isinstance(event, events.MembershipChanged):
        return await render_membership_changed(info, source, event)
    if isinstance(event, events.PresenceChanged):
        return await render_presence_changed(info, source, event)
    return None


async def _replay(info: Info, chat_id: int, after: str) -> AsyncGenerator[Message, None]:
    """Every message of the chat after the cursor `after`, oldest first: history pages
    (the caller's rights checked again for each), one unit each."""
    ctx = info.context
    while True:
        async with ctx.event_scope():
            page = await history.history(
                ctx.session, ctx.require_user(), chat_id, first=REPLAY_BATCH, after=after
            )
            prime_with_page(info, page)
            for row in page.messages.rows:
                yield Message.from_row(row)
        if not page.messages.has_next:
            return
        after = page.messages.cursors[-1]


@strawberry.type
class EventSubscription:
    @strawberry.subscription(
        description="One chat's live stream; NOT_FOUND for a chat one can't see. With `after` "
        "(a message cursor), first every message created after it, in order, then live: no "
        "gap and no duplicate. Ends (completes) as soon as the caller may no longer read "
        "the chat."
    )
    async def chat_events(
        self,
        info: Info,
        chat_id: ChatId,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="A message cursor: replay the messages after it first."
            ),
        ] = None,
    ) -> AsyncGenerator[ChatEvent, None]:
        ctx = info.context
        user = ctx.require_user()
        pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        if after:
            message_cursor(after, "after")  # BAD_USER_INPUT before anything starts
        async with ctx.event_scope():
            chat = (await chat_access(ctx.session, pk, user.id)).chat
        # A channel's readers change with its space's members and roles.
        topics = [chat_topic(pk)] + ([space_topic(chat.space_id)] if chat.space_id else [])
        # Listen (buffering) before reading history, so nothing falls between the two.
        with ctx.event_batch.watching_chat(pk, user.id):
            async with ctx.listen(*topics) as published:
                replayed: set[int] = set()
                if after:
                    # Closed here, in this task, if the subscription ends mid-replay: left to
                    # the garbage collector, its unit would end in another task's context.
                    async with aclosing(_replay(info, pk, after)) as replay:
                        async for message in replay:
                            replayed.add(message.row.id)
                            yield MessageCreated(message=message)
                async for source in published:
                    event = source.event
                    if event is None or not_news(event, user.id, replayed):
                        continue
                    if not await ctx.event_batch.may_read(source, pk, user.id):
                        return
                    if (
                        isinstance(event, events.TypingStarted)
                        and hides_blocked_typing(chat)
                        and await ctx.event_batch.has_blocked(
                            source, ("chat", pk), user.id, event.user_id
                        )
                    ):
                        continue
                    rendered = await _render_chat_event(info, source, event, pk)
                    if rendered is not None:
                        yield rendered

    @strawberry.subscription(
        description="Everything addressed to me, for one socket per client: messages in my "
        "DIRECT and GROUP chats, my notifications, changes to my memberships (joined, left, "
        "kicked, banned, roles changed, added to a chat) and the presence of people I share a "
        "chat with."
    )
    async def my_events(self, info: Info) -> AsyncGenerator[UserEvent, None]:
        ctx = info.context
        user = ctx.require_user()
        async with ctx.listen(user_topic(user.id)) as published:
            async for source in published:
                if source.event is None:
                    continue
                rendered = await _render_user_event(info, source, source.event, user)
                if rendered is not None:
                    yield rendered
