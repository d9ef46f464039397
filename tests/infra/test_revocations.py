"""EndedSessions: what each process knows of the sessions that ended."""

import asyncio
import json

from infra.broadcast import Broadcast, SubscriptionInterrupted, _cut_off
from infra.revocations import EndedSessions
from tests.infra.test_broadcast import connected


def told_of(ended: EndedSessions, session_id: int) -> asyncio.Event:
    """Set once `ended` learns that `session_id` ended."""
    seen = asyncio.Event()
    ended.on_ended(lambda ids: seen.set() if session_id in ids else None)
    return seen


async def test_ended_sessions_reach_every_process_and_their_listeners() -> None:
    broadcast = Broadcast("memory://")
    async with connected(broadcast):
        here, there = (EndedSessions(broadcast, "ns", 60) for _ in range(2))
        heard: list[frozenset[int]] = []
        there.on_ended(heard.append)
        eight = told_of(there, 8)
        loaded = [[1], [2]]
        await here.start(lambda: asyncio.sleep(0, loaded[0]))
        await there.start(lambda: asyncio.sleep(0, loaded[1]))
        try:
            assert here.is_ended(1) and not here.is_ended(2)  # what it loaded at start
            await here.end([7, 7, 8])
            assert here.is_ended(7)  # at once, where it ended
            await asyncio.wait_for(eight.wait(), 2)
            assert heard == [frozenset({2}), frozenset({7, 8})]
            assert not there.is_ended(1)
        finally:
            await here.stop()
            await there.stop()


async def test_an_interrupted_subscription_reloads_from_the_database() -> None:
    broadcast = Broadcast("memory://")
    async with connected(broadcast):
        ended = EndedSessions(broadcast, "ns", 60)
        five, six = told_of(ended, 5), told_of(ended, 6)
        loads = iter([[], [5]])  # the second load finds what was missed meanwhile
        await ended.start(lambda: asyncio.sleep(0, next(loads)))
        try:
            [queue] = broadcast._subscribers["ns:sessions-ended"]
            _cut_off(queue, SubscriptionInterrupted())  # as when Redis came back
            await asyncio.wait_for(five.wait(), 2)
            await broadcast.publish("ns:sessions-ended", json.dumps([6]))
            await asyncio.wait_for(six.wait(), 2)  # and it listens again
        finally:
            await ended.stop()


async def test_ended_sessions_are_forgotten_once_their_tokens_expired() -> None:
    broadcast = Broadcast("memory://")
    ended = EndedSessions(broadcast, "ns", 0.05)
    ended.mark([1])
    await asyncio.sleep(0.1)
    ended.mark([2])  # each mark drops what expired
    assert not ended.is_ended(1) and ended.is_ended(2)
    assert ended._ended.keys() == {2}
