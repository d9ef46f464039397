"""Fan-out between server processes: broadcaster's interface, with its event-losing defects fixed.

broadcaster 0.3.1 as published (a) lets two concurrent first subscribers to a channel
overwrite each other's registration, (b) reports a Redis subscription ready before the
SUBSCRIBE is acknowledged, (c) gives every subscriber an unbounded queue, so one client
that stops reading grows memory without limit, and (d) never re-establishes a dropped Redis
connection. `Broadcast` and `RedisBackend` below keep `broadcaster.Broadcast` as the interface
and fix all four.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from functools import cached_property
from typing import Any, TypeVar

import broadcaster
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend
from redis.asyncio import Redis

from infra import events, redis_client
from infra.redis_broadcast import INTERRUPTED, RedisBackend

logger = logging.getLogger(__name__)

T = TypeVar("T")

SUBSCRIBER_QUEUE_SIZE = 1000


def is_redis_url(url: str) -> bool:
    """Whether a BROADCAST_URL names Redis (whatever else shares it follows: rate-limit
    counters, presence), rather than the in-memory backend of a single process."""
    return url.startswith(("redis://", "rediss://"))


class SubscriberCutOff(Exception):
    """The subscriber may have missed events: it gets nothing more, and should resubscribe
    and replay what it missed (with `after`). The message says why, for the client."""


class SubscriberOverflow(SubscriberCutOff):
    def __init__(self) -> None:
        super().__init__("Subscriber fell behind; resubscribe with after")


class SubscriptionInterrupted(SubscriberCutOff):
    """The Redis subscriber connection was lost: what was published meanwhile never came."""

    def __init__(self) -> None:
        super().__init__("Live updates were interrupted")


# The fan-out tells a subscriber's owner at once that it was cut off (it must not block):
# the subscriber may be stuck somewhere it would never notice otherwise.
CutOffCallback = Callable[[SubscriberCutOff], None]


class Published(Event):
    """One received event: the same object reaches every subscriber in this process, so
    `shared` can hold work they do once between them (see loaders.event_batch). It goes with
    the event, once every subscriber has taken it."""

    def __init__(self, channel: str, message: Any) -> None:
        super().__init__(channel, message)
        self.shared: dict[Hashable, asyncio.Future[Any]] = {}

    @cached_property
    def event(self) -> events.Event | None:
        """The published event, decoded once for all its subscribers; None (logged once) for
        a message that is not one of ours."""
        try:
            return events.decode(self.message)
        except events.UnknownEvent as exc:
            logger.warning("ignoring a message on %s: %s", self.channel, exc)
            return None

    async def once(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        """`work`'s result, started by the first caller for this event and key.

        It runs as a task of its own, so a caller that goes away (its socket closed) does
        not cancel it for the others.
        """
        future = self.shared.get(key)
        if future is None:
            future = self.shared[key] = asyncio.ensure_future(work())
            future.add_done_callback(_retrieve)
        elif future.done():  # most subscribers come after the first one's work is done
            done: T = future.result()
            return done
        result: T = await asyncio.shield(future)
        return result


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a failure seen: the callers that were waiting got it already (or left)."""
    if not future.cancelled():
        future.exception()


class Backlog(asyncio.Queue["Published | None"]):
    """One subscriber's events not yet read, and whom to tell when it is cut off."""

    def __init__(self, size: int, on_cut_off: CutOffCallback | None) -> None:
        super().__init__(maxsize=size + 1)  # room for the cut-off marker
        self.on_cut_off = on_cut_off
        self.cut_off: SubscriberCutOff | None = None


class Subscription:
    """What `Broadcast.subscribe` yields: iterate it, or `get()` one event at a time."""

    def __init__(self, queue: Backlog) -> None:
        self._queue = queue

    async def get(self) -> Published:
        item = await self._queue.get()
        if item is None:  # put in place of the backlog when it was cut off
            assert self._queue.cut_off is not None
            raise self._queue.cut_off
        return item

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> Published:
        return await self.get()


class Broadcast(broadcaster.Broadcast):
    """A `broadcaster.Broadcast` whose subscriptions are race-free and bounded."""

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = SUBSCRIBER_QUEUE_SIZE,
        backend: BroadcastBackend | None = None,
        redis_timeout: float = redis_client.DEFAULT_TIMEOUT_SECONDS,
        commands: Redis | None = None,
    ) -> None:
        """`commands`: the process's shared Redis client to publish with (see RedisBackend)."""
        if backend is None:
            if is_redis_url(url):
                backend = RedisBackend(url, redis_timeout, commands=commands)
            else:
                backend = MemoryBackend(url)
        super().__init__(backend=backend)
        self.queue_size = queue_size
        self._subscribers: dict[str, set[Backlog]] = {}  # type: ignore[assignment]
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}

    @property
    def backend(self) -> BroadcastBackend:
        return self._backend

    async def listening(self, wait: float) -> bool:
        """Whether what is published now reaches this process's subscribers: not while the
        Redis subscriber connection is (re-)established, which this waits up to `wait`
        seconds for (a process that just started is connecting)."""
        if not isinstance(self._backend, RedisBackend):
            return True
        connected = self._backend.connected
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):  # not wait_for, which can lose a cancellation
                await connected.wait()
        return connected.is_set()

    async def publish_all(self, messages: Sequence[tuple[str, str]], once_key: str = "") -> None:
        """Publish each (channel, message), in order: over Redis in one round trip, so that
        a Redis that does not answer holds the caller for one timeout, not one per event.

        Over Redis, a second call with the same `once_key` within a minute publishes
        nothing: a retry of a call whose answer was lost (it timed out) may not repeat it.
        """
        if isinstance(self._backend, RedisBackend):
            await self._backend.publish_all(messages, once_key)
            return
        for channel, message in messages:
            await self._backend.publish(channel, message)

    async def _listener(self) -> None:
        while True:
            received = await self._backend.next_published()
            if received is INTERRUPTED:
                for queue in {q for queues in self._subscribers.values() for q in queues}:
                    _cut_off(queue, SubscriptionInterrupted())
                continue
            self._fan_out(received)

    def _fan_out(self, received: Event) -> None:
        """Only the subscribers' queues hold the event (and what they share on it)."""
        event = Published(received.channel, received.message)
        for queue in list(self._subscribers.get(event.channel, ())):
            _deliver(queue, event)

    @asynccontextmanager
    async def subscribe(  # type: ignore[override]
        self, *channels: str, on_cut_off: CutOffCallback | None = None
    ) -> AsyncIterator[Subscription]:
        """One bounded queue receiving what is published on any of `channels`, in order,
        until it is cut off (then `get` raises why, and `on_cut_off` was called with it):
        when it overflows, or when the Redis subscriber connection was lost and is back."""
        queue = Backlog(self.queue_size, on_cut_off)
        registered: list[str] = []
        try:
            for channel in dict.fromkeys(channels):
                await self._register(channel, queue)
                registered.append(channel)
            yield Subscription(queue)
        finally:
            for channel in registered:
                await self._unregister(channel, queue)

    async def _register(self, channel: str, queue: Backlog) -> None:
        lock = self._lock(channel)
        try:
            async with lock:  # the first subscriber's SUBSCRIBE completes before anyone proceeds
                subscribers = self._subscribers.get(channel)
                if subscribers is None:  # kept only while someone listens (a SUBSCRIBE can fail)
                    await self._backend.subscribe(channel)
                    subscribers = self._subscribers[channel] = set()
                subscribers.add(queue)
        except BaseException:
            self._release_lock(channel)
            raise

    async def _unregister(self, channel: str, queue: Backlog) -> None:
        try:
            async with self._locks[channel]:
                subscribers = self._subscribers.get(channel)
                if subscribers is None:
                    return
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[channel]
                    await self._backend.unsubscribe(channel)
        finally:
            self._release_lock(channel)

    def _lock(self, channel: str) -> asyncio.Lock:
        """The channel's lock, kept while any subscription uses it (so locks don't pile up
        for every channel a long-running process ever served)."""
        self._lock_users[channel] = self._lock_users.get(channel, 0) + 1
        return self._locks.setdefault(channel, asyncio.Lock())

    def _release_lock(self, channel: str) -> None:
        self._lock_users[channel] -= 1
        if not self._lock_users[channel]:
            del self._lock_users[channel], self._locks[channel]


def _deliver(queue: Backlog, event: Published) -> None:
    """Never wait for a subscriber: one that is full is cut off."""
    if queue.cut_off is not None:
        return
    if queue.qsize() < queue.maxsize - 1:
        queue.put_nowait(event)
        return
    _cut_off(queue, SubscriberOverflow())


def _cut_off(queue: Backlog, cause: SubscriberCutOff) -> None:
    """The subscriber loses its backlog, is told why (by the marker and its callback) and
    gets nothing more."""
    if queue.cut_off is not None:
        return
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(None)
    queue.cut_off = cause
    if queue.on_cut_off is not None:
        try:
            queue.on_cut_off(cause)
        except Exception:  # the fan-out serves every other subscriber: it must go on
            logger.exception("broadcast: cut-off callback failed")
