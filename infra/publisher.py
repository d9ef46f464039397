"""Publishing events (infra.events) after a commit, so that subscribers (in any process)
hear of them.

Publishing never fails the operation (its change is committed already). A batch Redis does
not take is retried in the background, and whatever is published after it waits behind it,
so events keep their order; one still not taken after RETRY_FOR_SECONDS is logged as lost
(an ERROR naming each event's kind and topic). A publish that timed out may have reached a
Redis that was only slow to answer (or this process slow to read the answer, under load):
each batch has a key of its own, and Redis publishes a batch once whatever the attempts.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from infra import redis_client
from infra.broadcast import Broadcast
from infra.events import Event, encode
from infra.outbox import Announcement, take_committed

logger = logging.getLogger(__name__)

LOG_AT_MOST = 5  # events named per log line (a mention of @everyone is one per member)
RETRY_FOR_SECONDS = 30.0


@dataclass
class _Batch:
    announcements: Sequence[Announcement]
    messages: list[tuple[str, str]]
    once_key: str  # the same for every attempt: Redis publishes the batch at most once
    queued_at: float = field(default_factory=time.monotonic)


class Publisher:
    def __init__(
        self, broadcast: Broadcast, namespace: str, *, retry_for: float = RETRY_FOR_SECONDS
    ) -> None:
        self.broadcast = broadcast
        self.namespace = namespace
        self.retry_for = retry_for
        self._backlog: deque[_Batch] = deque()  # not published yet, oldest first
        self._retrying: asyncio.Task[None] | None = None

    def channel(self, topic: str) -> str:
        """The broadcast channel of a topic (see infra.outbox), within this deployment."""
        return f"{self.namespace}:{topic}"

    async def publish(self, topic: str, event: Event) -> None:
        """Best effort: the change is committed already; see the module's docstring."""
        await self.publish_all([Announcement(topic, event)])

    async def publish_all(self, announcements: Sequence[Announcement]) -> None:
        """`publish` each, in order, together: a Redis that does not answer delays the
        caller once, not once per event (a message in a DM is three events)."""
        if not announcements:
            return
        messages = [(self.channel(each.topic), encode(each.event)) for each in announcements]
        batch = _Batch(announcements, messages, f"{self.namespace}:published:{uuid.uuid4().hex}")
        if self._backlog:  # earlier events wait to be retried: these go after them
            self._backlog.append(batch)
            return
        try:
            await self.broadcast.publish_all(messages, batch.once_key)
        except Exception:
            logger.warning(
                "could not publish %s; retrying in the background",
                _named(announcements),
                exc_info=True,
            )
            self._backlog.append(batch)
            if self._retrying is None or self._retrying.done():
                self._retrying = asyncio.create_task(self._retry(), name="publish-retry")

    async def publish_committed(self, session: AsyncSession) -> None:
        """Publish, in order, what the session's committed transactions announced."""
        await self.publish_all(take_committed(session))

    async def stop(self) -> None:
        """Stop retrying; what is still waiting is logged as lost."""
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        while self._backlog:
            batch = self._backlog.popleft()
            logger.error("lost %s: not published before shutdown", _named(batch.announcements))

    async def _retry(self) -> None:
        """Publish the backlog, oldest first, until it is empty; after each failure wait a
        little longer before trying again (from the first failure: that one just failed)."""
        failures = 1
        while self._backlog:
            if failures:
                await asyncio.sleep(redis_client.backoff(failures - 1))
            batch = self._backlog[0]
            if time.monotonic() - batch.queued_at > self.retry_for:
                self._backlog.popleft()
                logger.error(
                    "lost %s: Redis did not take them within %g s",
                    _named(batch.announcements),
                    self.retry_for,
                )
                continue
            try:
                await self.broadcast.publish_all(batch.messages, batch.once_key)
            except Exception:
                failures += 1
                continue
            self._backlog.popleft()
            logger.info("published %s on retrying", _named(batch.announcements))
            failures = 0


def _named(announcements: Sequence[Announcement]) -> str:
    """The kinds and topics of `announcements` (never their payloads), for the log."""
    named = ", ".join(
        f"{type(each.event).__name__} on {each.topic}" for each in announcements[:LOG_AT_MOST]
    )
    more = len(announcements) - LOG_AT_MOST
    return named + (f" and {more} more" if more > 0 else "")
