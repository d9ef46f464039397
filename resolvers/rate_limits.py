"""Rate limits on the endpoints worth attacking (moving windows, shared through Redis)."""

import logging
import math
import time
from collections.abc import Awaitable, Callable

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import BlockingConnectionPool

from app.broadcast import is_redis_url
from resolvers.errors import RateLimited

logger = logging.getLogger(__name__)

LOGIN_FAILURES_PER_ACCOUNT = parse("10/15 minutes")
LOGIN_PER_CLIENT = parse("60/15 minutes")
REGISTER_PER_CLIENT = parse("30/hour")
REFRESH_PER_CLIENT = parse("120/15 minutes")
TYPING_PER_CHAT = parse("1/3 seconds")

# Every socket opened and subscription started is counted, so hits come in bursts (a
# reconnect storm): they queue on a bounded pool rather than each opening a connection. Each
# round trip waits an event loop turn, long on a busy loop: a pool of 10 queued a burst of
# 100 so deep that hits waited past the timeout (and were let through unchecked).
REDIS_CONNECTIONS = 50
REDIS_WAIT_SECONDS = 5.0  # for a free connection, before the attempt is allowed unchecked


class RateLimiter:
    """Counts attempts in memory, or in Redis when the broadcast backend is Redis."""

    def __init__(self, broadcast_url: str, namespace: str) -> None:
        storage: Storage
        if is_redis_url(broadcast_url):
            pool = BlockingConnectionPool.from_url(
                broadcast_url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_SECONDS
            )
            storage = RedisStorage(
                f"async+{broadcast_url}",
                implementation="redispy",
                key_prefix=f"{namespace}:limits",
                connection_pool=pool,  # type: ignore[arg-type]  # documented; typed narrowly
            )
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, rule: RateLimitItem, *identifiers: str) -> None:
        """Count one attempt; RATE_LIMITED once the window is full."""
        await self._enforce(self._limiter.hit, rule, identifiers)

    async def allow(self, rule: RateLimitItem, *identifiers: str) -> bool:
        """Count one attempt and say whether it is within the limit (True if unknowable)."""
        try:
            return bool(await self._limiter.hit(rule, *identifiers))
        except Exception as exc:
            logger.warning("rate limit store unreachable (%s); allowing the attempt", exc)
            return True

    async def check(self, rule: RateLimitItem, *identifiers: str) -> None:
        """RATE_LIMITED if the window is already full, without counting an attempt."""
        await self._enforce(self._limiter.test, rule, identifiers)

    async def _enforce(
        self,
        allows: Callable[..., Awaitable[bool]],
        rule: RateLimitItem,
        identifiers: tuple[str, ...],
    ) -> None:
        # If the counter store is unreachable the attempt is allowed (and logged): losing
        # rate limiting for a while is better than refusing every sign-in.
        try:
            if await allows(rule, *identifiers):
                return
            reset_at, _ = await self._limiter.get_window_stats(rule, *identifiers)
        except Exception as exc:
            logger.warning("rate limit store unreachable (%s); allowing the attempt", exc)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited("Too many attempts; try again later", retry_after=retry_after)
