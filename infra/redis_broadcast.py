"""The Redis backend of the broadcast (infra.broadcast): pub/sub that confirms each SUBSCRIBE,
reconnects and re-subscribes on loss, and publishes a batch at most once; and whether Redis
answers, for /readyz."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any, Literal

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from infra import redis_client
from infra.errors import DomainError

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_SECONDS = 5.0
POLL_SECONDS = 1.0
PING_EVERY_SECONDS = 5.0


class BroadcastUnavailable(DomainError):
    """Redis did not acknowledge a subscription in time: it is down, or not answering."""


# KEYS: the once key; ARGV: its lifetime (s), then channel, message, channel, message, ...
# Publishes them all unless the key was set already (by an earlier attempt that got through).
_PUBLISH_ONCE = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
for i = 2, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
return 1
"""
ONCE_SECONDS = 60  # longer than anyone retries (infra.events: 30 s)

# Handed on by RedisBackend.next_published when its connection is back after a loss.
INTERRUPTED = Event(channel="", message="")


class RedisBackend(BroadcastBackend):
    """Redis pub/sub that confirms each SUBSCRIBE and reconnects (re-subscribing) on loss."""

    def __init__(self, url: str, timeout: float, *, commands: Redis | None = None) -> None:
        """Publishes with `commands` (its owner closes it), or a client of its own if None."""
        self._owns_client = commands is None
        self._client = redis_client.client(url, timeout) if commands is None else commands
        # The subscriber's connection is not retried: `_run` reconnects it and re-subscribes.
        # Its reads wait POLL_SECONDS each, whatever `timeout` says.
        self._subscriber = redis_client.client(url, timeout, retries=0)
        self._channels: set[str] = set()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._published: asyncio.Queue[Event] = asyncio.Queue()
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.connected = asyncio.Event()

    async def connect(self) -> None:
        self._task = asyncio.create_task(self._run(), name="redis-broadcast")

    async def disconnect(self) -> None:
        # The flag, not only the cancel: redis-py's read timeout can swallow a cancellation
        # that arrives just as it expires, and the loop must still end.
        self._closing = True
        if self._task is not None:
            if self._pubsub is not None:  # wakes a read that is waiting for Redis
                with contextlib.suppress(OSError, RedisError):
                    await self._pubsub.aclose()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._owns_client:
            await self._client.aclose()
        await self._subscriber.aclose()

    async def subscribe(self, channel: str) -> None:
        """Returns once Redis has acknowledged the subscription (it is replayed on reconnect);
        BroadcastUnavailable if that takes longer than SUBSCRIBE_TIMEOUT_SECONDS."""
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        self._channels.add(channel)
        try:
            # If the connection just dropped, _run re-subscribes once it is back.
            await self._pubsub_command("subscribe", channel)
            # Not asyncio.wait_for: on Python 3.11 it loses a cancellation that arrives as the
            # wait ends (the confirmation and the cancel in one loop turn).
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                await confirmed.wait()
        except BaseException as exc:
            await self.unsubscribe(channel)  # nobody listens: not to be replayed on reconnect
            if not isinstance(exc, TimeoutError):
                raise
            logger.warning("broadcast: Redis did not confirm the subscription to %s", channel)
            raise BroadcastUnavailable(
                "Live updates are unavailable right now; subscribe again shortly"
            ) from None

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._confirmed.pop(channel, None)
        await self._pubsub_command("unsubscribe", channel)

    async def _pubsub_command(
        self, command: Literal["subscribe", "unsubscribe"], channel: str
    ) -> None:
        """SUBSCRIBE or UNSUBSCRIBE on the listening connection, if it is up (a failure is
        left to `_run`, which re-subscribes once it is back).

        In a task of its own, awaited through a shield: redis-py 8.2's PubSub commands can
        swallow a cancellation of the task that awaits them, and a subscription cancelled
        while it subscribed (its operation stopped at once) would then go on listening, and
        the socket's handler, which waits for it to end, would hang.
        """
        pubsub = self._pubsub
        if not self.connected.is_set() or pubsub is None:
            return
        send = pubsub.subscribe if command == "subscribe" else pubsub.unsubscribe
        sent = asyncio.ensure_future(send(channel))
        sent.add_done_callback(_retrieve)  # seen even when nobody awaits it any more
        with contextlib.suppress(OSError, RedisError):
            await asyncio.shield(sent)

    async def publish(self, channel: str, message: Any) -> None:
        await self._client.publish(channel, message)

    async def publish_all(self, messages: Sequence[tuple[str, str]], once_key: str = "") -> None:
        if not once_key:
            pipeline = self._client.pipeline(transaction=False)  # one connection: in order
            for channel, message in messages:
                pipeline.publish(channel, message)
            await pipeline.execute()
            return
        flat = [part for pair in messages for part in pair]
        await self._client.eval(_PUBLISH_ONCE, 1, once_key, ONCE_SECONDS, *flat)

    async def next_published(self) -> Event:
        return await self._published.get()

    async def _run(self) -> None:
        attempt = 0
        lost = False  # a connection we listened on dropped (not: the first one failed)
        while not self._closing:
            pubsub = self._subscriber.pubsub()
            try:
                await pubsub.connect()  # type: ignore[no-untyped-call]
                if self._channels:
                    await pubsub.subscribe(*self._channels)
                self._pubsub = pubsub
                self.connected.set()
                if lost:
                    # Whatever was published while we were away is gone for us.
                    logger.info("broadcast: reconnected to Redis; cutting off subscribers")
                    self._published.put_nowait(INTERRUPTED)
                lost = False
                attempt = 0
                await self._read(pubsub)
            except (OSError, RedisError) as exc:
                if self.connected.is_set() or attempt == 0:
                    logger.warning("broadcast: Redis connection lost (%s); reconnecting", exc)
                lost = lost or self.connected.is_set()
                self.connected.clear()
                for confirmed in self._confirmed.values():
                    confirmed.clear()
                await asyncio.sleep(redis_client.backoff(attempt))
                attempt += 1
            finally:
                self._pubsub = None
                with contextlib.suppress(OSError, RedisError):
                    await pubsub.aclose()

    async def _read(self, pubsub: PubSub) -> None:
        idle = 0.0
        while not self._closing:
            message = await pubsub.get_message(timeout=POLL_SECONDS)
            if message is None:
                idle += POLL_SECONDS
                if idle >= PING_EVERY_SECONDS:  # notices a connection lost while quiet
                    await pubsub.ping()
                    idle = 0.0
                continue
            idle = 0.0
            if message["type"] == "subscribe":
                confirmed = self._confirmed.get(message["channel"].decode())
                if confirmed is not None:
                    confirmed.set()
            elif message["type"] == "message":
                channel, data = message["channel"].decode(), message["data"].decode()
                self._published.put_nowait(Event(channel=channel, message=data))


def _retrieve(sent: "asyncio.Future[None]") -> None:
    """Mark a failed SUBSCRIBE or UNSUBSCRIBE seen: the connection is lost, and `_run`
    (which notices) re-subscribes."""
    if not sent.cancelled():
        sent.exception()


async def broadcast_reachable(commands: Redis | None) -> bool:
    """Whether Redis answers now, through the process's shared client (None: the in-memory
    backend, which always does)."""
    if commands is None:
        return True
    try:
        return bool(await commands.ping())
    except (OSError, RedisError):
        return False
