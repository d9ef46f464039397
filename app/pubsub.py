"""The broadcast backend that fans events out between server processes."""

import asyncio

from broadcaster import Broadcast
from redis import asyncio as redis
from redis.exceptions import RedisError

READY_TIMEOUT_SECONDS = 2.0


def create_broadcast(url: str) -> Broadcast:
    return Broadcast(url)


async def broadcast_reachable(url: str) -> bool:
    """Whether the backend behind `url` answers now (the in-memory one always does)."""
    if not url.startswith(("redis://", "rediss://")):
        return True
    client = redis.Redis.from_url(url, socket_connect_timeout=READY_TIMEOUT_SECONDS)
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            return bool(await client.ping())
    except (OSError, TimeoutError, RedisError):
        return False
    finally:
        await client.aclose()
