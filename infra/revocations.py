"""Which sessions ended lately, known to every process without asking the database.

An access token names its session (the `sid` claim) and stays valid until it expires, so a
session that ended (logout, reuse of a rotated refresh token, revokeSession, a password
change) must be refused by every process for one access-token lifetime after it ended. Each
process keeps those session ids in memory: the process ending a session marks it at once
and publishes the ids on one broadcast channel; every process listens to it, and loads the
sessions ended within the lifetime from the database when it starts and whenever its
subscription was interrupted (what was published meanwhile never came). Checking a token
is thus a set lookup, with no SQL statement.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from infra.broadcast import Broadcast, SubscriberCutOff

logger = logging.getLogger(__name__)

STARTUP_WAIT_SECONDS = 5.0
RETRY_SECONDS = 1.0

LoadRecent = Callable[[], Awaitable[list[int]]]
OnEnded = Callable[[frozenset[int]], None]


class EndedSessions:
    def __init__(self, broadcast: Broadcast, namespace: str, ttl_seconds: float) -> None:
        self._broadcast = broadcast
        self._channel = f"{namespace}:sessions-ended"
        self._ttl = ttl_seconds
        self._ended: dict[int, float] = {}  # session id -> when it may be forgotten (monotonic)
        self._listeners: list[OnEnded] = []
        self._task: asyncio.Task[None] | None = None

    def is_ended(self, session_id: int) -> bool:
        return session_id in self._ended

    def on_ended(self, listener: OnEnded) -> None:
        """Call `listener` with the ids each time sessions end (here or in another process)."""
        self._listeners.append(listener)

    def mark(self, session_ids: Iterable[int]) -> None:
        """Refuse these sessions' tokens from now on, here, and tell the listeners of those
        it did not know yet (this process hears its own publications again)."""
        now = time.monotonic()
        for expired in [sid for sid, until in self._ended.items() if until <= now]:
            del self._ended[expired]
        ids = frozenset(session_ids)
        new = ids - self._ended.keys()
        for sid in ids:
            self._ended.setdefault(sid, now + self._ttl)
        if new:
            for listener in self._listeners:
                listener(new)

    async def end(self, session_ids: Iterable[int]) -> None:
        """Mark these sessions ended (committed already) here, and publish them to every
        process. A failed publish is logged: the others then learn it only at their next
        reload, and meanwhile accept the access tokens until they expire."""
        ids = sorted(set(session_ids))
        if not ids:
            return
        self.mark(ids)
        try:
            await self._broadcast.publish_all([(self._channel, json.dumps(ids))])
        except Exception:
            logger.exception("could not publish the end of sessions %s", ids)

    async def start(self, load_recent: LoadRecent) -> None:
        """Listen for ended sessions; returns once listening (or after a bounded wait)."""
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(load_recent, ready))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STARTUP_WAIT_SECONDS):
                await ready.wait()
        if not ready.is_set():
            logger.error("not yet listening for ended sessions; retrying in the background")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self, load_recent: LoadRecent, ready: asyncio.Event) -> None:
        while True:
            try:
                async with self._broadcast.subscribe(self._channel) as subscription:
                    self.mark(await load_recent())  # subscribed first: nothing falls between
                    ready.set()
                    async for published in subscription:
                        self.mark(int(sid) for sid in json.loads(published.message))
            except SubscriberCutOff:
                continue  # resubscribe and reload what was missed
            except Exception:
                logger.exception("listening for ended sessions failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)
