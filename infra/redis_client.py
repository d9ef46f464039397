"""Every Redis client the server makes is made here, so that all of them fail the same way.

Redis holds what the server can do without for a while (events, rate-limit counters,
presence: the README's "When Redis fails" says how each one fails), so no call to it may
hold a request for long. Connecting, each read and write give up after `timeout`: a frozen
Redis costs a request one timeout per call, not redis-py's default 5 s.

A process shares one pool of connections for its commands (publishing, presence, rate
limits, readiness), at most REDIS_POOL_SIZE of them; the pub/sub subscriber holds one
connection of its own. A call that finds them all in use waits up to POOL_WAIT_SECONDS for
one: redis-py's default pool fails it at once ("Too many connections"), which lost the
presence of most of a thousand sockets that connected together. The wait is longer than
`timeout` because a burst is not an outage: each call ahead of it is quick.

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
DEFAULT_POOL_SIZE = (
    100  # connections per process (redis-py's default), each call holding one briefly
)
POOL_WAIT_SECONDS = 2.0
BACKOFF_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)  # then every 2 s


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (0: the first) of something Redis refused."""
    return BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]


def client(
    url: str, timeout: float, *, pool_size: int = DEFAULT_POOL_SIZE, retries: int = 1
) -> redis.Redis:
    """A client of its own pool (see `connection_pool`)."""
    return redis.Redis.from_pool(
        connection_pool(url, timeout, pool_size=pool_size, retries=retries)
    )


def connection_pool(
    url: str, timeout: float, *, pool_size: int = DEFAULT_POOL_SIZE, retries: int = 1
) -> redis.ConnectionPool:
    """At most `pool_size` connections to `url`, each waiting at most `timeout` seconds to
    connect, read or write, and whose calls are retried `retries` times on a lost connection;
    a call waits up to POOL_WAIT_SECONDS for a free one."""
    return redis.BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=POOL_WAIT_SECONDS,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,)),
    )
