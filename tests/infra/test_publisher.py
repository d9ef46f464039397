"""Publishing after commit: a publish that fails is retried in the background, in order."""

import asyncio
import json
import logging
from typing import Any

from broadcaster._backends.memory import MemoryBackend
from redis.exceptions import ConnectionError as RedisConnectionError

from infra.broadcast import Broadcast, Subscription
from infra.events import MessageCreated, ReactionChanged
from infra.outbox import Announcement, chat_topic
from infra.publisher import Publisher

WAIT = 10.0  # seconds for the background retry to get through (it needs far less)


class FlakyBackend(MemoryBackend):
    """The in-memory backend, refusing every publish while `down`."""

    def __init__(self) -> None:
        super().__init__("memory://")
        self.down = False
        self.refused = 0
        self.refused_thrice = asyncio.Event()

    async def publish(self, channel: str, message: Any) -> None:
        if self.down:
            self.refused += 1
            if self.refused == 3:
                self.refused_thrice.set()
            raise RedisConnectionError("Connection refused")
        await super().publish(channel, message)


def created(chat_id: int, message_id: int) -> Announcement:
    return Announcement(chat_topic(chat_id), MessageCreated(chat_id=chat_id, message_id=message_id))


async def received_ids(events: Subscription, count: int) -> list[int]:
    ids: list[int] = []
    async with asyncio.timeout(WAIT):
        while len(ids) < count:
            ids.append(json.loads((await events.get()).message)["messageId"])
    return ids


async def test_events_published_while_redis_refuses_arrive_in_order_once_it_is_back() -> None:
    backend = FlakyBackend()
    broadcast = Broadcast("memory://", backend=backend)
    publisher = Publisher(broadcast, "test")
    await broadcast.connect()
    try:
        async with broadcast.subscribe(publisher.channel(chat_topic(1))) as subscription:
            backend.down = True
            await publisher.publish_all([created(1, 1), created(1, 2)])
            await publisher.publish(chat_topic(1), MessageCreated(chat_id=1, message_id=3))
            await publisher.publish_all([created(1, 4)])
            # Once one batch failed, later ones queue behind it rather than overtake it.
            async with asyncio.timeout(WAIT):  # the first attempt and two retries
                await backend.refused_thrice.wait()
            backend.down = False
            assert await received_ids(subscription, 4) == [1, 2, 3, 4]
            await publisher.publish_all([created(1, 5)])  # straight through again
            assert await received_ids(subscription, 1) == [5]
    finally:
        await publisher.stop()
        await broadcast.disconnect()


class ErrorLogged(logging.Handler):
    """Keeps the ERROR records it is handed, and says when the first came."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.event.set()


async def test_events_redis_never_takes_are_logged_as_lost_after_the_retry_window() -> None:
    backend = FlakyBackend()
    broadcast = Broadcast("memory://", backend=backend)
    publisher = Publisher(broadcast, "test", retry_for=0.5)
    await broadcast.connect()
    backend.down = True
    try:
        logged = ErrorLogged()
        logging.getLogger("infra.publisher").addHandler(logged)
        try:
            reaction = ReactionChanged(
                chat_id=7, message_id=70, emoji="secret", user_id=1, added=True
            )
            await publisher.publish(chat_topic(7), reaction)
            async with asyncio.timeout(WAIT):
                await logged.event.wait()
        finally:
            logging.getLogger("infra.publisher").removeHandler(logged)
    finally:
        await publisher.stop()
        await broadcast.disconnect()
    [record] = logged.records
    assert record.levelno == logging.ERROR
    assert "ReactionChanged" in record.getMessage() and "chat:7" in record.getMessage()
    assert "secret" not in record.getMessage()


async def test_events_still_waiting_at_shutdown_are_logged_as_lost() -> None:
    backend = FlakyBackend()
    broadcast = Broadcast("memory://", backend=backend)
    publisher = Publisher(broadcast, "test")
    await broadcast.connect()
    backend.down = True
    logged = ErrorLogged()
    logging.getLogger("infra.publisher").addHandler(logged)
    try:
        await publisher.publish_all([created(3, 30), created(3, 31)])
        await publisher.stop()
    finally:
        logging.getLogger("infra.publisher").removeHandler(logged)
        await broadcast.disconnect()
    [record] = logged.records
    assert "MessageCreated on chat:3, MessageCreated on chat:3" in record.getMessage()
    assert "shutdown" in record.getMessage()
