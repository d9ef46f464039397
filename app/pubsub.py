"""Whether the broadcast backend is reachable, for /readyz."""

import asyncio

from redis import asyncio as redis
from redis.exceptions import RedisError

from app.broadcast import is_redis_url

READY_TIMEOUT_SECONDS = 2.0


async def broadcast_reachable(url: str) -> bool:
    """Whether the backend behind `url` answers now (the in-memory one always does)."""
    if not is_redis_url(url):
        return True
    client = redis.Redis.from_url(url, socket_connect_timeout=READY_TIMEOUT_SECONDS)
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            return bool(await client.ping())
    except (OSError, TimeoutError, RedisError):
        return False
    finally:
        await client.aclose()
