"""Every Redis client the server makes is made here, so that all of them fail the same way.

Redis holds what the server can do without for a while (events, rate-limit counters,
presence: the README's "When Redis fails" says how each one fails), so no call to it may
hold a request for long. Connecting, each read and write, and waiting for a free pooled
connection give up after `timeout`: a frozen Redis costs a request one timeout per call,
not redis-py's default 5 s.

A pool that has all its connections in use makes the next call wait for one (up to
`timeout`): redis-py's default pool fails it at once ("Too many connections"), which lost
the presence of most of a thousand sockets that connected together.

A connection that Redis closed (it restarted) is only found out when it is used: redis-py
then fails the call, and by default does not retry it. Each call is retried once, on a
fresh connection, so the first event published after a restart is not lost. A timeout is
not retried: Redis is there but not answering, and a second wait would double the delay.
"""

from redis import asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

DEFAULT_TIMEOUT_SECONDS = 0.5
POOL_SIZE = 100  # connections per client (redis-py's default), each call holding one briefly


def client(url: str, timeout: float, *, retries: int = 1) -> redis.Redis:
    """A client of its own pool (see `connection_pool`)."""
    return redis.Redis.from_pool(connection_pool(url, timeout, retries=retries))


def connection_pool(url: str, timeout: float, *, retries: int = 1) -> redis.ConnectionPool:
    """Connections to `url` that wait at most `timeout` seconds for anything, and whose
    calls are retried `retries` times on a lost connection."""
    return redis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=timeout,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,)),
    )
