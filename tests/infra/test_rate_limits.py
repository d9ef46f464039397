"""Rate limits: counted per identifier, shared through Redis, failing open."""

import asyncio
import uuid

import pytest
from limits import parse
from redis import Redis as SyncRedis

from infra.errors import RateLimited
from infra.rate_limits import RateLimiter
from infra.redis_client import DEFAULT_POOL_SIZE
from tests.backends import REDIS_URL
from tests.redis_server import own_redis_server

RULE = parse("3/minute")


async def exhaust(limiter: RateLimiter, *identifiers: str) -> int:
    """How many hits pass before the limiter refuses (capped at 10)."""
    for allowed in range(10):
        try:
            await limiter.hit(RULE, *identifiers)
        except RateLimited as limited:
            assert limited.extensions["retryAfter"] >= 1
            return allowed
    return 10


async def test_memory_limiter_counts_each_identifier_apart() -> None:
    limiter = RateLimiter("memory://", "ns")
    assert await exhaust(limiter, "login", "alice") == 3
    assert await exhaust(limiter, "login", "bob") == 3


async def test_check_does_not_count_an_attempt() -> None:
    limiter = RateLimiter("memory://", "ns")
    for _ in range(5):
        await limiter.check(RULE, "login", "alice")
    assert await exhaust(limiter, "login", "alice") == 3
    with pytest.raises(RateLimited):
        await limiter.check(RULE, "login", "alice")


async def test_redis_limiters_of_one_namespace_share_counts(redis_required: None) -> None:
    namespace = f"test-{uuid.uuid4().hex}"
    first, second = RateLimiter(REDIS_URL, namespace), RateLimiter(REDIS_URL, namespace)
    await first.hit(RULE, "login", "alice")
    await first.hit(RULE, "login", "alice")
    assert await exhaust(second, "login", "alice") == 1
    assert await exhaust(RateLimiter(REDIS_URL, f"{namespace}-other"), "login", "alice") == 3


async def test_unreachable_store_allows_the_attempt(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", "ns")
    assert await exhaust(limiter, "login", "alice") == 10
    assert "rate limit store unreachable" in caplog.text


KNOWN = parse("1/day")


async def test_remembered_identifiers_are_seen_and_others_are_not() -> None:
    limiter = RateLimiter("memory://", "ns")
    assert not await limiter.seen(KNOWN, "known", "alice", "home")
    await limiter.remember(KNOWN, "known", "alice", "home")
    await limiter.remember(KNOWN, "known", "alice", "home")  # again: still one note
    assert await limiter.seen(KNOWN, "known", "alice", "home")
    assert not await limiter.seen(KNOWN, "known", "alice", "elsewhere")


async def test_redis_limiters_of_one_namespace_share_what_they_remember(
    redis_required: None,
) -> None:
    namespace = f"test-{uuid.uuid4().hex}"
    await RateLimiter(REDIS_URL, namespace).remember(KNOWN, "known", "alice")
    assert await RateLimiter(REDIS_URL, namespace).seen(KNOWN, "known", "alice")
    assert not await RateLimiter(REDIS_URL, f"{namespace}-other").seen(KNOWN, "known", "alice")


async def test_unreachable_store_remembers_nothing_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", "ns")
    await limiter.remember(KNOWN, "known", "alice")
    assert not await limiter.seen(KNOWN, "known", "alice")
    assert "rate limit store unreachable" in caplog.text


async def test_a_burst_of_hits_shares_a_few_redis_connections() -> None:
    """Every socket and subscription is counted: a reconnect storm must not open a Redis
    connection per concurrent hit (each costs a connect, and Redis allows 10000 clients)."""
    with own_redis_server() as redis_server:
        limiter = RateLimiter(redis_server.url, "ns")
        burst = parse("1000/minute")
        await asyncio.gather(*(limiter.hit(burst, "socket", str(n % 5)) for n in range(400)))
        clients = SyncRedis.from_url(redis_server.url)
        try:
            connected = int(clients.info("clients")["connected_clients"]) - 1  # (this one)
        finally:
            clients.close()
    assert 1 <= connected <= DEFAULT_POOL_SIZE
