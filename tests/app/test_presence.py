"""The presence stores: in memory (with a test clock) and in Redis (real time, short TTL)."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from redis import Redis as SyncRedis

from app.presence import MemoryPresenceStore, PresenceStore, RedisPresenceStore
from app.presence_tracker import PresenceTracker, SocketPresence
from tests.backends import REDIS_URL

TTL = 0.4  # seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    store: PresenceStore
    wait: Callable[[float], Awaitable[None]]  # let time pass
    make_peer: Callable[[], PresenceStore]  # another process's store over the same state


@pytest.fixture
def redis_namespace(redis_required: None) -> Iterator[str]:
    namespace = f"test-{uuid.uuid4().hex}"
    yield namespace
    client = SyncRedis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def namespace(request: pytest.FixtureRequest) -> str | None:
    """None for the memory store; a fresh Redis namespace for the Redis one."""
    if request.param == "memory":
        return None
    value: str = request.getfixturevalue("redis_namespace")
    return value


@pytest.fixture
async def harness(namespace: str | None) -> AsyncIterator[Harness]:
    if namespace is None:
        clock = Clock()
        store = MemoryPresenceStore(TTL, clock)

        async def advance(seconds: float) -> None:
            clock.now += seconds

        yield Harness(store, advance, lambda: store)
        return
    stores: list[RedisPresenceStore] = []

    def make() -> RedisPresenceStore:
        stores.append(RedisPresenceStore(REDIS_URL, namespace, TTL))
        return stores[-1]

    yield Harness(make(), asyncio.sleep, make)
    for peer in stores:
        await peer.close()


async def test_first_connection_brings_a_user_online_and_a_second_counts_once(
    harness: Harness,
) -> None:
    store = harness.store
    assert await store.online([1]) == set()
    assert await store.touch(1, "phone") is True
    assert await store.touch(1, "laptop") is False
    assert await store.touch(1, "phone") is False  # a refresh
    assert await store.online([1, 2]) == {1}
    assert await store.disconnect(1, "phone") is False  # the laptop is still there
    assert await store.online([1]) == {1}
    assert await store.disconnect(1, "laptop") is True
    assert await store.online([1]) == set()
    assert await store.disconnect(1, "laptop") is False  # reported once only
    assert await store.sweep() == []


async def test_users_whose_connections_expire_are_swept_exactly_once(harness: Harness) -> None:
    store = harness.store
    await store.touch(1, "a")
    await store.touch(2, "a")
    await harness.wait(TTL / 2)
    await store.touch(2, "a")  # refreshed: stays
    await harness.wait(TTL * 0.75)
    assert await store.online([1, 2]) == {2}
    assert await store.sweep() == [1]
    assert await store.sweep() == []
    assert await store.disconnect(1, "a") is False  # the sweep reported it already
    assert await store.online([2]) == {2}


async def test_an_expired_connection_does_not_hold_a_user_whose_other_one_ends(
    harness: Harness,
) -> None:
    store = harness.store
    await store.touch(1, "silent")
    await harness.wait(TTL / 2)
    await store.touch(1, "live")
    await harness.wait(TTL * 0.75)  # "silent" has expired, "live" has not
    assert await store.sweep() == []
    assert await store.online([1]) == {1}
    assert await store.disconnect(1, "live") is True
    assert await store.sweep() == []


async def test_a_connection_after_expiry_brings_the_user_online_again(harness: Harness) -> None:
    store = harness.store
    await store.touch(1, "a")
    await harness.wait(TTL * 1.25)
    assert await store.touch(1, "a") is True
    assert await store.online([1]) == {1}


async def test_online_answers_for_many_users_at_once(harness: Harness) -> None:
    store = harness.store
    # At once, so that all 100 are in before the short TTL can expire the first on a busy machine.
    await asyncio.gather(*(store.touch(user_id, "a") for user_id in range(1, 200, 2)))
    assert await store.online(range(1, 201)) == set(range(1, 200, 2))
    assert await store.online([]) == set()


async def test_processes_sharing_the_store_report_each_transition_once(
    harness: Harness,
) -> None:
    peers = [harness.make_peer() for _ in range(4)]
    came = await asyncio.gather(*(peer.touch(7, f"conn-{i}") for i, peer in enumerate(peers)))
    assert came.count(True) == 1
    await harness.wait(TTL * 1.25)
    swept = await asyncio.gather(*(peer.sweep() for peer in peers))
    assert sorted(user for gone in swept for user in gone) == [7]


async def test_namespaces_keep_deployments_apart(redis_namespace: str) -> None:
    mine = RedisPresenceStore(REDIS_URL, redis_namespace, TTL)
    theirs = RedisPresenceStore(REDIS_URL, f"{redis_namespace}-other", TTL)
    try:
        await mine.touch(1, "a")
        assert await theirs.online([1]) == set()
        assert await theirs.touch(1, "a") is True
    finally:
        await theirs.disconnect(1, "a")
        await mine.close()
        await theirs.close()


async def test_a_crowd_connecting_at_once_is_recorded_not_refused_for_want_of_connections(
    redis_namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    crowd = range(500)  # far more calls at once than one client has pooled connections
    # A generous timeout: this is about running out of connections, not about speed.
    store = RedisPresenceStore(REDIS_URL, redis_namespace, ttl_seconds=60, timeout=10)
    try:
        with caplog.at_level(logging.WARNING, logger="app.presence"):
            came = await asyncio.gather(*(store.touch(user, "ws") for user in crowd))
            assert await store.online(crowd) == set(crowd)
    finally:
        await store.close()
    assert all(came)
    assert [r.getMessage() for r in caplog.records] == []


async def test_unreachable_redis_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisPresenceStore("redis://127.0.0.1:1/0", "test-unreachable", TTL)
    try:
        with caplog.at_level(logging.WARNING, logger="app.presence"):
            assert await store.touch(1, "a") is False
            assert await store.online([1]) == set()
            assert await store.disconnect(1, "a") is False
            assert await store.sweep() == []
    finally:
        await store.close()
    assert len([r for r in caplog.records if "Redis unreachable" in r.getMessage()]) == 4


class SwallowingStore(MemoryPresenceStore):
    """Sweeps like redis-py under a socket timeout: a cancellation that lands in the call
    comes out as 'Redis unreachable', once."""

    def __init__(self) -> None:
        super().__init__(ttl_seconds=60)
        self.sweeping = asyncio.Event()
        self.swallowed = False

    async def sweep(self) -> list[int]:
        if self.swallowed:
            return await super().sweep()
        self.sweeping.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.swallowed = True
            current = asyncio.current_task()
            assert current is not None
            current.uncancel()
        return []


async def test_stopping_ends_a_sweeper_that_swallowed_its_cancellation() -> None:
    store = SwallowingStore()
    tracker = PresenceTracker(store, 0.04, sessionmaker=None, events=None)  # type: ignore[arg-type]
    await tracker.start()
    await asyncio.wait_for(store.sweeping.wait(), 5)
    stopping = asyncio.create_task(tracker.stop())
    done, _ = await asyncio.wait([stopping], timeout=5)
    assert done == {stopping}, "stop() still waits for the sweeper"
    assert store.swallowed


class StallingStore(MemoryPresenceStore):
    """Records a connection, then stalls the touch (a slow Redis round trip)."""

    def __init__(self) -> None:
        super().__init__(ttl_seconds=60)
        self.touched = asyncio.Event()

    async def touch(self, user_id: int, connection: str) -> bool:
        await super().touch(user_id, connection)
        self.touched.set()
        await asyncio.sleep(3600)
        return True


async def test_a_socket_ended_while_its_connection_is_being_recorded_still_releases_it() -> None:
    store = StallingStore()
    tracker = PresenceTracker(store, 60, sessionmaker=None, events=None)  # type: ignore[arg-type]
    held = SocketPresence()
    opening = asyncio.create_task(tracker.socket_opened(held, user_id=1))
    await asyncio.wait_for(store.touched.wait(), 5)
    opening.cancel()  # e.g. the socket's task cut off while the store answers
    with pytest.raises(asyncio.CancelledError):
        await opening
    await tracker.socket_closed(held)
    assert await store.online([1]) == set()
