"""Whether the broadcast backend is reachable, for /readyz."""

from redis.asyncio import Redis
from redis.exceptions import RedisError


async def broadcast_reachable(commands: Redis | None) -> bool:
    """Whether Redis answers now, through the process's shared client (None: the in-memory
    backend, which always does)."""
    if commands is None:
        return True
    try:
        return bool(await commands.ping())
    except (OSError, RedisError):
        return False
