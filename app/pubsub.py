"""Whether the broadcast backend is reachable, for /readyz."""

from redis.exceptions import RedisError

from app import redis_client
from app.broadcast import is_redis_url


async def broadcast_reachable(url: str, redis_timeout: float) -> bool:
    """Whether the backend behind `url` answers now (the in-memory one always does)."""
    if not is_redis_url(url):
        return True
    client = redis_client.client(url, redis_timeout)
    try:
        return bool(await client.ping())
    except (OSError, RedisError):
        return False
    finally:
        await client.aclose()
