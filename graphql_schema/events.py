"""The events subscriptions deliver, rendered from their published form.

A published event (infra.events) holds ids. The rows it names are loaded once for
all the subscribers it woke in this process (loaders.event_batch). Each rendered event keeps
its `source`, the published event, by which the subscribers that select the same fields
share one execution of their selection (graphql_schema.event_execution).
"""

import strawberry

from db import models
from graphql_schema.chats import Chat
from graphql_schema.enums import MembershipChange
from graphql_schema.ids import to_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Message
from graphql_schema.notifications import Notification
from graphql_schema.spaces import Space
from graphql_schema.users import User
from infra import events
from infra.broadcast import Published

# The published event a rendered one came from; None for one replayed from history.
Source = strawberry.Private[Published | None]


@strawberry.type(description="A message was sent (or, with chatEvents' `after`, replayed).")
class MessageCreated:
    message: Message = strawberry.field(description="The new message.")
    source: Source = None


@strawberry.type(description="A message was edited, pinned or unpinned.")
class MessageUpdated:
    message: Message = strawberry.field(description="The message as it is now.")
    source: Source = None


@strawberry.type(description="A message was deleted.")
class MessageDeleted:
    message: Message = strawberry.field(
        description="The tombstone, as deleteMessage returns it (deletedAt set, no content)."
    )
    message_id: strawberry.ID = strawberry.field(description="The deleted message's id.")
    chat_id: strawberry.ID = strawberry.field(description="Its chat's id.")
    source: Source = None


@strawberry.type(description="Someone reacted to a message or took a reaction back.")
class ReactionChanged:
    message: Message = strawberry.field(description="The message, its reactions updated.")
    emoji: str = strawberry.field(description="The emoji.")
    user: User = strawberry.field(description="Who reacted or took it back.")
    added: bool = strawberry.field(description="True: added; false: removed.")
    source: Source = None


@strawberry.type(description="Someone started typing (sendTyping: at most every 3 s per chat).")
class TypingStarted:
    chat_id: strawberry.ID = strawberry.field(description="The chat's id.")
    user: User = strawberry.field(description="Who is typing.")
    source: Source = None


@strawberry.type(description="A notification for the caller.")
class NotificationCreated:
    notification: Notification = strawberry.field(description="The new notification.")
    source: Source = None


@strawberry.type(description="Someone joined, left or was removed, or their roles changed.")
class MembershipChanged:
    space: Space | None = strawberry.field(description="For changes in a space.")
    chat: Chat | None = strawberry.field(
        description="The chat joined or left; in chatEvents of a channel, that channel."
    )
    user: User = strawberry.field(description="Whose membership changed.")
    change: MembershipChange = strawberry.field(description="What happened.")
    source: Source = None


MessageEvent = MessageCreated | MessageUpdated | MessageDeleted


async def shared_user(info: Info, event: Published, user_id: int) -> User | None:
    """A user the event names, loaded once for every subscriber it woke; None when the
    account was deleted since (the event, whose `user` is non-null, is then not sent)."""
    row = await info.context.event_batch.user(event, user_id)
    return User.from_row(row) if row is not None else None


async def _shared_message(info: Info, event: Published, message_id: int) -> Message | None:
    """The event's message as loaded once for every subscriber; None if it is gone."""
    found = await info.context.event_batch.message(event, message_id)
    return Message.from_row(found[0]) if found is not None else None


async def render_message_event(
    info: Info, source: Published, event: events.MessageEvent
) -> MessageEvent | None:
    """MessageCreated, MessageUpdated or MessageDeleted; None if the message is gone (its
    chat deleted since: a deleted message itself stays, as a tombstone)."""
    message = await _shared_message(info, source, event.message_id)
    if message is None:
        return None
    if isinstance(event, events.MessageDeleted):
        return MessageDeleted(
            message=message,
            message_id=message.id,
            chat_id=strawberry.ID(to_global_id("Chat", event.chat_id)),
            source=source,
        )
    kind = MessageCreated if isinstance(event, events.MessageCreated) else MessageUpdated
    return kind(message=message, source=source)


async def render_reaction_changed(
    info: Info, source: Published, event: events.ReactionChanged
) -> ReactionChanged | None:
    message = await _shared_message(info, source, event.message_id)
    user = await shared_user(info, source, event.user_id)
    if message is None or user is None:
        return None
    return ReactionChanged(
        message=message, emoji=event.emoji, user=user, added=event.added, source=source
    )


async def render_typing_started(
    info: Info, source: Published, event: events.TypingStarted
) -> TypingStarted | None:
    user = await shared_user(info, source, event.user_id)
    if user is None:
        return None
    return TypingStarted(
        chat_id=strawberry.ID(to_global_id("Chat", event.chat_id)), user=user, source=source
    )


async def render_membership_changed(
    info: Info,
    source: Published,
    event: events.MembershipChanged,
    *,
    channel_id: int | None = None,
) -> MembershipChanged | None:
    """`channel_id`: the channel whose stream reports a change in its space."""
    event_batch = info.context.event_batch
    space = chat = None
    if event.space_id is not None and (
        space := await event_batch.row(source, models.Space, event.space_id)
    ):
        chat = await event_batch.row(source, models.Chat, channel_id) if channel_id else None
    elif event.chat_id is not None:
        chat = await event_batch.row(source, models.Chat, event.chat_id)
    user = await shared_user(info, source, event.user_id)
    if (space is None and chat is None) or user is None:
        return None  # deleted since (a deleted account's memberships end unannounced)
    return MembershipChanged(
        space=Space.from_row(space) if space else None,
        chat=Chat.from_row(chat) if chat else None,
        user=user,
        change=event.change,
        source=source,
    )


async def render_notification_created(
    info: Info, source: Published, event: events.NotificationCreated, user_id: int
) -> NotificationCreated | None:
    row = await info.context.event_batch.row(source, models.Notification, event.notification_id)
    if row is None or row.user_id != user_id:  # deleted since (its message's chat went)
        return None
    return NotificationCreated(notification=Notification.from_row(row), source=source)
