"""The presence stores: in memory (with a test clock) and in Redis (real time, short TTL)."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from redis import Redis as SyncRedis

from app.presence_tracker import PresenceTracker
from infra import redis_client
from infra.presence import MemoryPresenceStore, PresenceStore, SocketPresence
from infra.redis_presence import RedisPresenceStore
from tests.backends import REDIS_URL
from tests.redis_server import RedisServer, own_redis_server

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


async def test_a_burst_of_changes_over_a_small_pool_is_recorded_completely(
    redis_namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A thousand sockets connecting together, four connections: the changes go together
    in a few pipelines, where each one waiting for a connection of its own (up to
    POOL_WAIT_SECONDS) had the last ones wait past 2 s on a machine loaded by other tests."""
    crowd = range(1000)
    commands = redis_client.client(REDIS_URL, redis_client.DEFAULT_TIMEOUT_SECONDS, pool_size=4)
    store = RedisPresenceStore(REDIS_URL, redis_namespace, ttl_seconds=60, commands=commands)
    try:
        with caplog.at_level(logging.WARNING, logger="infra.redis_presence"):
            came = await asyncio.gather(*(store.touch(user, "ws") for user in crowd))
            gone = await asyncio.gather(*(store.disconnect(user, "ws") for user in crowd[:500]))
            assert await store.online(crowd) == set(crowd[500:])
    finally:
        await commands.aclose()
    assert sum(came) == sum(gone) + 500 == 1000
    assert [r.getMessage() for r in caplog.records] == []


def script_calls(server: RedisServer) -> int:
    """Script commands (EVAL, EVALSHA, SCRIPT ...) `server` has run or refused."""
    client = SyncRedis.from_url(server.url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return sum(
        int(entry["calls"]) + int(entry["rejected_calls"])
        for name, entry in stats.items()
        if name.startswith(("cmdstat_eval", "cmdstat_script"))
    )


async def test_each_change_is_one_round_trip_even_on_a_redis_new_to_the_scripts() -> None:
    """A restarted Redis has forgotten every loaded script: EVALSHA, NOSCRIPT, SCRIPT LOAD
    and EVALSHA again tripled each change of a burst just when Redis came back."""
    with own_redis_server() as server:
        store = RedisPresenceStore(server.url, "test-round-trips", TTL)
        try:
            assert await store.touch(1, "ws")
            assert await store.disconnect(1, "ws")
            assert await store.online([1]) == set()
            assert await store.sweep() == []
            assert script_calls(server) == 4
        finally:
            await store.close()


async def test_a_burst_of_changes_takes_one_connection_not_the_whole_pool() -> None:
    """The pool is shared with publishing and rate limits: a thousand sockets connecting
    (or closing) together must not hold all of it, or those wait (and, past 2 s, fail)."""
    with own_redis_server() as server:
        commands = redis_client.client(server.url, redis_client.DEFAULT_TIMEOUT_SECONDS)
        store = RedisPresenceStore(server.url, "test-burst", ttl_seconds=60, commands=commands)
        try:
            await store.online([0])  # connected
            before = connections_received(server)
            came = await asyncio.gather(*(store.touch(user, "ws") for user in range(1000)))
            assert all(came)
            assert connections_received(server) - before <= 1  # the INFO's own
        finally:
            await commands.aclose()


def connections_received(server: RedisServer) -> int:
    client = SyncRedis.from_url(server.url)
    try:
        return int(client.info("stats")["total_connections_received"])
    finally:
        client.close()


async def test_unreachable_redis_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisPresenceStore("redis://127.0.0.1:1/0", "test-unreachable", TTL)
    try:
        with caplog.at_level(logging.WARNING, logger="infra.redis_presence"):
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
    tracker = PresenceTracker(store, 0.04, sessionmaker=None, publisher=None)  # type: ignore[arg-type]
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
    tracker = PresenceTracker(store, 60, sessionmaker=None, publisher=None)  # type: ignore[arg-type]
    held = SocketPresence()
    opening = asyncio.create_task(tracker.socket_opened(held, user_id=1))
    await asyncio.wait_for(store.touched.wait(), 5)
    opening.cancel()  # e.g. the socket's task cut off while the store answers
    with pytest.raises(asyncio.CancelledError):
        await opening
    await tracker.socket_closed(held)
    assert await store.online([1]) == set()
