"""Every Redis client the server makes is made here, so that all of them fail the same way.

A connection that Redis closed (it restarted) is only found out when it is used: redis-py
then fails the call, and by default does not retry it. Each call is retried once, on a
fresh connection, so the first event published after a restart is not lost.
"""

from redis import asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


def client(url: str, *, retries: int = 1) -> redis.Redis:
    """A client of its own pool (see `connection_pool`)."""
    return redis.Redis.from_pool(connection_pool(url, retries=retries))


def connection_pool(url: str, *, retries: int = 1) -> redis.ConnectionPool:
    """Connections to `url` whose calls are retried `retries` times on a lost connection."""
    return redis.ConnectionPool.from_url(
        url, retry=Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,))
    )
