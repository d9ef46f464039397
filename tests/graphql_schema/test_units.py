"""A unit publishes what it committed when it ends, whether or not a GraphQL operation ran
in it (events were once released by a Strawberry extension, and lost without one)."""

import asyncio

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request

from graphql_schema.context import Context
from infra.events import MessageCreated
from infra.outbox import announce, chat_topic


def context_of(app: Starlette) -> Context:
    services = app.state.services
    return Context(
        request=Request({"type": "http", "headers": [], "state": {}}),
        response=None,
        settings=services.settings,
        storage=services.storage,
        attachments=services.attachments,
        sessionmaker=services.sessionmaker,
        rate_limiter=services.rate_limiter,
        publisher=services.publisher,
        presence=services.presence.store,
        event_batch=services.event_batch,
        ended_sessions=services.ended_sessions,
        client="test",
    )


async def test_what_a_unit_committed_is_published_when_it_ends(app: Starlette) -> None:
    context = context_of(app)
    publisher = context.publisher
    async with publisher.broadcast.subscribe(publisher.channel(chat_topic(1))) as subscription:
        async with context.event_scope():
            announce(context.session, chat_topic(1), MessageCreated(chat_id=1, message_id=7))
            await context.session.execute(text("SELECT 1"))
            await context.session.commit()
            announce(context.session, chat_topic(1), MessageCreated(chat_id=1, message_id=8))
            await context.session.execute(text("SELECT 1"))
            await context.session.rollback()  # never heard of
        published = await asyncio.wait_for(subscription.get(), 5)
        assert published.event == MessageCreated(chat_id=1, message_id=7)
        try:
            extra = await asyncio.wait_for(subscription.get(), 0.3)
        except TimeoutError:
            extra = None
    assert extra is None, extra.event
