"""This process's part in presence: its sockets' connections, and a sweeper for the silent.

Each authenticated WebSocket is one connection in the presence store, refreshed at a third
of the TTL while it is open and dropped when it ends. The sweeper notices users whose
connections all expired (a crashed process, a client that stopped its heartbeats); the
store hands each such user to exactly one process's sweeper. Transitions are announced
through resolvers.presence in a session of their own.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.presence import PresenceStore, SocketPresence, TrackedConnection
from infra.publisher import Publisher
from resolvers import presence

logger = logging.getLogger(__name__)

CANCEL_AGAIN_SECONDS = 0.1

Transition = Callable[[AsyncSession, Publisher, int], Awaitable[None]]


class PresenceTracker:
    def __init__(
        self,
        store: PresenceStore,
        ttl_seconds: float,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: Publisher,
    ) -> None:
        self.store = store
        self.refresh_every = ttl_seconds / 3
        self.sweep_every = ttl_seconds / 4
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._sweeper: asyncio.Task[None] | None = None
        self._refreshers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="presence-sweeper")

    async def stop(self) -> None:
        for task in [*self._refreshers, *([self._sweeper] if self._sweeper else [])]:
            await _cancel(task)
        await self.store.close()

    async def socket_opened(self, socket: SocketPresence, user_id: int) -> None:
        """Count `socket` for `user_id` (announcing them if it is their first) until
        `socket_closed(socket)`."""
        connection = TrackedConnection(user_id, f"ws:{uuid.uuid4().hex}")
        socket.connections.append(connection)
        await self._touch(user_id, connection.id)
        refresher = asyncio.create_task(self._refresh(connection))
        self._refreshers.add(refresher)
        refresher.add_done_callback(self._refreshers.discard)
        connection.refresher = refresher

    async def socket_closed(self, socket: SocketPresence) -> None:
        """Stop counting whatever `socket` recorded (announcing users whose last it was)."""
        connections, socket.connections = socket.connections, []
        # No refresh from here on, whatever happens below: at worst a connection whose
        # release is cut short expires after the TTL and the sweeper announces it.
        for connection in connections:
            connection.closed.set()
        for connection in connections:
            await self._release(connection)

    async def _release(self, connection: TrackedConnection) -> None:
        # The refresher finishes a refresh under way rather than being cancelled in it: a
        # cancelled command may still reach Redis, after the disconnect, and revive it.
        if connection.refresher is not None:
            await asyncio.wait([connection.refresher])
        if await self.store.disconnect(connection.user_id, connection.id):
            await self._report(presence.went_offline, connection.user_id)

    async def _touch(self, user_id: int, connection: str) -> None:
        if await self.store.touch(user_id, connection):
            await self._report(presence.came_online, user_id)

    async def _refresh(self, connection: TrackedConnection) -> None:
        while not await _set_within(connection.closed, self.refresh_every):
            await self._touch(connection.user_id, connection.id)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                for user_id in await self.store.sweep():
                    await self._report(presence.went_offline, user_id)
            except Exception:  # the sweeper must outlive any one failure
                logger.warning("presence: sweep failed", exc_info=True)

    async def _report(self, transition: Transition, user_id: int) -> None:
        """Record and publish a transition; a failure is logged, never raised to the socket."""
        try:
            async with self._sessionmaker() as session:
                await transition(session, self._publisher, user_id)
        except Exception:
            logger.warning("presence: could not announce user %s", user_id, exc_info=True)


async def _set_within(event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` is set within `seconds`."""
    # Not asyncio.wait_for: on Python 3.11 it can lose a cancellation that arrives as the
    # wait ends, and the refresh loop would outlive its socket.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()


async def _cancel(task: "asyncio.Task[None]") -> None:
    """Cancel `task` and wait until it has ended, cancelling again while it goes on.

    redis-py can swallow a cancellation that lands just as its socket timeout expires (it
    becomes a TimeoutError, which the store reports as Redis being unreachable), and the
    sweeper's or a refresher's loop would then carry on, holding the shutdown forever.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=CANCEL_AGAIN_SECONDS)
    with contextlib.suppress(asyncio.CancelledError):
        await task
