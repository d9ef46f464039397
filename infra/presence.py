"""Who is online: live connections per user, each kept alive by refreshing it before it expires.

A user is online while at least one of their connections (a WebSocket, or the "http" entry
that the heartbeat mutation refreshes) has not expired. The store reports transitions, so
that exactly one caller, in whichever process, announces each: `touch` says whether the user
just came online, `disconnect` and `sweep` whether they just went offline.

In memory for a single process (memory://), in Redis when the broadcast backend is Redis
(infra.redis_presence, shared by every process).
"""

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

from infra.broadcast import is_redis_url
from infra.redis_presence import RedisPresenceStore

logger = logging.getLogger(__name__)

HTTP_CONNECTION = "http"  # the one entry the heartbeat mutation refreshes, per user


class PresenceStore(Protocol):
    async def touch(self, user_id: int, connection: str) -> bool:
        """Add or refresh a connection for another TTL; whether the user just came online."""
        ...

    async def disconnect(self, user_id: int, connection: str) -> bool:
        """Drop a connection; whether that took the user offline."""
        ...

    async def sweep(self) -> list[int]:
        """Forget users whose connections have all expired; each is reported exactly once."""
        ...

    async def online(self, user_ids: Collection[int]) -> set[int]:
        """Which of `user_ids` are online now."""
        ...

    async def close(self) -> None: ...


class MemoryPresenceStore:
    """For one process; `clock` (seconds) is injectable for tests."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.clock = clock
        self._expiries: dict[int, dict[str, float]] = {}  # user -> connection -> expiry

    async def touch(self, user_id: int, connection: str) -> bool:
        live = self._live(user_id)
        came_online = not live
        live[connection] = self.clock() + self.ttl
        self._expiries[user_id] = live
        return came_online

    async def disconnect(self, user_id: int, connection: str) -> bool:
        connections = self._expiries.get(user_id)
        if connections is None or connections.pop(connection, None) is None:
            return False  # unknown, or already swept: someone else reported it
        if self._live(user_id):
            return False
        self._expiries.pop(user_id, None)
        return True

    async def sweep(self) -> list[int]:
        gone = [user_id for user_id in list(self._expiries) if not self._live(user_id)]
        for user_id in gone:
            del self._expiries[user_id]
        return gone

    async def online(self, user_ids: Collection[int]) -> set[int]:
        now = self.clock()
        return {
            user_id
            for user_id in user_ids
            if any(expiry > now for expiry in self._expiries.get(user_id, {}).values())
        }

    async def close(self) -> None:
        self._expiries.clear()

    def _live(self, user_id: int) -> dict[str, float]:
        """The user's unexpired connections (the expired ones are dropped for good)."""
        now = self.clock()
        live = {c: e for c, e in self._expiries.get(user_id, {}).items() if e > now}
        if user_id in self._expiries:
            self._expiries[user_id] = live
        return live


def create_store(
    broadcast_url: str, namespace: str, ttl_seconds: float, commands: Redis | None
) -> PresenceStore:
    """Redis when the broadcast backend is Redis (shared by all processes, through the
    process's `commands` client), else memory."""
    if is_redis_url(broadcast_url):
        return RedisPresenceStore(broadcast_url, namespace, ttl_seconds, commands=commands)
    return MemoryPresenceStore(ttl_seconds)


@dataclass
class TrackedConnection:
    """One socket's connection in the store, refreshed until it is released."""

    user_id: int
    id: str
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    refresher: "asyncio.Task[None] | None" = None


@dataclass
class SocketPresence:
    """Every connection one socket recorded, released together when the socket ends.

    A connection is held from before its first store command, so a socket that ends in the
    middle of opening one (an error, a cancellation) still releases it. (A command cut off
    in flight may still reach Redis after the release; the TTL then ends that connection.)
    """

    connections: list[TrackedConnection] = field(default_factory=list)
