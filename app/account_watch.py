"""Closes, in this process, the sockets of accounts deleted in any process.

deleteAccount announces AccountDeleted on the accounts topic (published after its commit);
every process listens to it from start to stop and closes the user's sockets there with
4403 "invalid token": the token names an account that no longer exists, so the client
signs in again (which fails) rather than refreshing. A lost Redis connection cuts the
subscription off, and a Redis that is away refuses it; it is taken up again (what was
published meanwhile is missed: such a socket stays open until its access token expires,
as one of a revoked session does today).
"""

import asyncio
import contextlib
import logging

from infra.broadcast import Broadcast, SubscriberCutOff
from infra.events import AccountDeleted
from infra.outbox import account_topic
from infra.publisher import Publisher
from infra.redis_broadcast import BroadcastUnavailable
from infra.sockets import FORBIDDEN, INVALID_TOKEN_REASON, Sockets

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0  # between attempts to subscribe while Redis is away


class AccountWatch:
    def __init__(self, broadcast: Broadcast, publisher: Publisher, sockets: Sockets) -> None:
        self._broadcast = broadcast
        self._channel = publisher.channel(account_topic())
        self._sockets = sockets
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self, wait: float) -> None:
        """Listen in the background; returns once subscribed, or after `wait` seconds
        (Redis away: the subscription is retried until it is taken)."""
        self._task = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._listening.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with self._broadcast.subscribe(self._channel) as subscription:
                    self._listening.set()
                    async for published in subscription:
                        if isinstance(event := published.event, AccountDeleted):
                            closed = self._sockets.close_user(
                                event.user_id, FORBIDDEN, INVALID_TOKEN_REASON
                            )
                            logger.info("account deleted: closed %d socket(s)", closed)
            except SubscriberCutOff:
                continue
            except BroadcastUnavailable:
                logger.warning("account deletions are not heard until Redis is back")
                await asyncio.sleep(RETRY_SECONDS)
