"""Live chat events over WebSocket.

Each event is loaded and checked in its own unit (a fresh session and loaders), with the
subscriber's rights read anew: whoever can no longer read the chat stops receiving at once.
"""

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from sqlalchemy import select

from app.context import Context
from app.events import decode
from db import models
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.messages import Message
from graphql_schema.users import User, load_user
from resolvers.chat_access import chat_access
from resolvers.errors import NotFound
from resolvers.history import message_cursor

REPLAY_BATCH = 100


@strawberry.type
class MessageCreated:
    message: Message


@strawberry.type
class MessageUpdated:
    message: Message


@strawberry.type
class MessageDeleted:
    message_id: strawberry.ID
    chat_id: strawberry.ID


@strawberry.type
class ReactionChanged:
    message: Message
    emoji: str
    user: User
    added: bool


@strawberry.type
class TypingStarted:
    chat_id: strawberry.ID
    user: User


ChatEvent = Annotated[
    MessageCreated | MessageUpdated | MessageDeleted | ReactionChanged | TypingStarted,
    strawberry.union("ChatEvent"),
]


async def _render(info: Info, payload: dict[str, Any]) -> ChatEvent | None:
    kind = payload["kind"]
    if kind == "TypingStarted":
        return TypingStarted(
            chat_id=strawberry.ID(to_global_id("Chat", payload["chatId"])),
            user=await load_user(info, payload["userId"]),
        )
    if kind == "MessageDeleted":
        return MessageDeleted(
            message_id=strawberry.ID(to_global_id("Message", payload["messageId"])),
            chat_id=strawberry.ID(to_global_id("Chat", payload["chatId"])),
        )
    row = await info.context.session.get(models.Message, payload["messageId"])
    if row is None:
        return None
    message = Message.from_row(row)
    if kind == "MessageCreated":
        return MessageCreated(message=message)
    if kind == "MessageUpdated":
        return MessageUpdated(message=message)
    if kind == "ReactionChanged":
        user = await load_user(info, payload["userId"])
        return ReactionChanged(
            message=message, emoji=payload["emoji"], user=user, added=payload["added"]
        )
    return None


async def _still_readable(context: Context, chat_id: int, user_id: int) -> bool:
    try:
        await chat_access(context.session, chat_id, user_id)
    except NotFound:
        return False
    return True


async def _replay(info: Info, chat_id: int, after: int) -> AsyncGenerator[Message, None]:
    """Every message of the chat after `after`, oldest first, a batch per unit."""
    while True:
        async with info.context.event_scope():
            rows = list(
                await info.context.session.scalars(
                    select(models.Message)
                    .where(models.Message.chat_id == chat_id, models.Message.id > after)
                    .order_by(models.Message.id)
                    .limit(REPLAY_BATCH)
                )
            )
            for row in rows:
                yield Message.from_row(row)
        if len(rows) < REPLAY_BATCH:
            return
        after = rows[-1].id


@strawberry.type
class ChatSubscription:
    @strawberry.subscription(
        description="One chat's live stream; NOT_FOUND for a chat one can't see. With `after` "
        "(a message cursor), first every message created after it, in order, then live: no "
        "gap and no duplicate."
    )
    async def chat_events(
        self, info: Info, chat_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[ChatEvent, None]:
        ctx = info.context
        user = ctx.require_user()
        pk = pk_from_global_id(chat_id, "Chat", field="chatId")
        replay_from = message_cursor(after, "after") if after else None
        async with ctx.event_scope():
            await chat_access(ctx.session, pk, user.id)
        # Listen (buffering) before reading history, so nothing falls between the two.
        async with ctx.events.fan_out.subscribe(ctx.events.chat_channel(pk)) as events:
            replayed_up_to = 0
            if replay_from is not None:
                async for message in _replay(info, pk, replay_from):
                    replayed_up_to = message.row.id
                    yield MessageCreated(message=message)
            async for raw in events:
                payload = decode(raw.message)
                if payload["kind"] == "MessageCreated" and payload["messageId"] <= replayed_up_to:
                    continue  # already sent by the replay
                if payload["kind"] == "TypingStarted" and payload["userId"] == user.id:
                    continue  # one's own typing is not news
                async with ctx.event_scope():
                    if not await _still_readable(ctx, pk, user.id):
                        return
                    event = await _render(info, payload)
                    if event is not None:
                        yield event
