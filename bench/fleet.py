"""Subscribers in processes of their own: many graphql-transport-ws clients per process on
`chatEvents`, each checking that it receives every message of the run once and in order.

A measured message's content is `b<seq> <time.time() when sent> [padding]`, so latency is
the receiving process's clock minus the sender's (one machine, one clock). A socket the
server closes (1013 when it falls behind, or the connection ended) reconnects and resumes
with `after` = the last message it saw, as a real client does; what that costs shows as
latency, duplicates or missing seqs. Messages whose content is `probe` only tell a
subscriber that its subscription is live.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import queue
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from typing import Any
from urllib.parse import urlsplit

import uvloop
import websockets

from bench.processes import context as processes_context
from bench.processes import kill
from graphql_schema.ids import parse_global_id
from infra.sockets import TRY_AGAIN_LATER
from resolvers.pagination import encode_cursor

PROTOCOL = "graphql-transport-ws"
PROBE = "probe"
SUBSCRIBE = """subscription($chat: ID!, $after: String) {
    chatEvents(chatId: $chat, after: $after) {
        ... on MessageCreated { message { id content author { tag } } }
    }
}"""
# The slow consumer asks for each message's content 30 times (29 aliases: a document may
# have 30): its events are 30 times as large, so the buffers between it and the server
# fill within seconds once it stops reading (on loopback the server's kernel alone may take
# up to 4 MB), and its queue on the server overflows soon after.
SLOW_ALIASES = 29
SLOW_SUBSCRIBE = SUBSCRIBE.replace(
    "content author",
    "content " + " ".join(f"c{n}: content" for n in range(SLOW_ALIASES)) + " author",
)
CONNECTS_AT_ONCE = 25  # per process, unless the scenario is the storm itself
SLOW_RECEIVE_BUFFER = 4096  # bytes: the slow consumer's kernel buffer fills at once
SLOW_SEGMENT = 536  # bytes: TCP's minimum default segment size
SLOW_CLIENT_QUEUE = 4  # frames the slow consumer's client takes in before it stops reading
RESULT_TIMEOUT = 60.0
RETRY_DELAY = 1.0  # seconds before reconnecting after a close other than 1013
MEANWHILE_EVERY = 0.5  # seconds between probes while waiting for subscriptions to be live


@dataclass(frozen=True)
class Watch:
    token: str
    chat: str  # global id
    pause: float = 0.0  # seconds it stops reading at its first measured message (slow consumer)


@dataclass
class Tally:
    """What a group of subscribers saw; tallies of several processes add up."""

    subscribers: int = 0
    complete: int = 0  # subscribers that got every expected message
    deliveries: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    missing: int = 0  # expected messages a subscriber never got (by the deadline)
    gaps: int = 0  # of those, ones older than a message it did get: lost, not late
    resumes: int = 0
    closes: Counter[int] = field(default_factory=Counter)  # close code -> sockets
    errors: Counter[str] = field(default_factory=Counter)  # GraphQL error code -> count
    failures: list[str] = field(default_factory=list)  # clients that broke (not the server)
    latencies_ms: list[float] = field(default_factory=list)
    slow_latencies_ms: list[float] = field(default_factory=list)  # the paused subscribers'
    last_arrival_ms: dict[int, float] = field(default_factory=dict)  # seq -> slowest socket
    first_arrival: float = math.inf
    last_arrival: float = 0.0

    def add(self, other: Tally) -> None:
        for name in ("subscribers", "complete", "deliveries", "duplicates", "out_of_order"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missing += other.missing
        self.gaps += other.gaps
        self.resumes += other.resumes
        self.closes.update(other.closes)
        self.errors.update(other.errors)
        self.failures.extend(other.failures)
        self.latencies_ms.extend(other.latencies_ms)
        self.slow_latencies_ms.extend(other.slow_latencies_ms)
        for seq, ms in other.last_arrival_ms.items():
            self.last_arrival_ms[seq] = max(ms, self.last_arrival_ms.get(seq, 0.0))
        self.first_arrival = min(self.first_arrival, other.first_arrival)
        self.last_arrival = max(self.last_arrival, other.last_arrival)


def content(seq: int, padding: int = 0) -> str:
    return f"b{seq} {time.time():.6f}" + (" " + "x" * padding if padding else "")


def cursor_of(message_id: str) -> str:
    parsed = parse_global_id(message_id)
    assert parsed is not None
    return encode_cursor(parsed[1])


class _Subscriber:
    def __init__(
        self, url: str, watch: Watch, expected: int, tally: Tally, stop_at: Synchronized[float]
    ) -> None:
        self.url, self.watch, self.expected, self.tally = url, watch, expected, tally
        self.stop_at = stop_at
        self.subscribed, self.live = asyncio.Event(), asyncio.Event()
        self.seen: set[int] = set()
        self.highest = -1
        self.cursor: str | None = None
        self.paused = False  # the slow consumer paused already (it does so once)

    def _done(self) -> bool:
        finished = self.expected > 0 and len(self.seen) >= self.expected
        return finished or time.time() >= self.stop_at.value

    async def run(self) -> None:
        try:
            while not self._done():
                try:
                    await self._connection()
                except websockets.ConnectionClosed as closed:
                    code = closed.rcvd.code if closed.rcvd else 1006
                    self.tally.closes[code] += 1
                    if not self._done():
                        self.tally.resumes += 1  # reconnect, resume with `after`
                        if code != TRY_AGAIN_LATER:  # refused or dropped: as a client backs off
                            await asyncio.sleep(RETRY_DELAY)
                    continue
                break  # an error or complete ended the subscription
        except (OSError, TimeoutError, websockets.InvalidHandshake, AssertionError) as exc:
            self.tally.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.subscribed.set()
            self.live.set()
            self.tally.subscribers += 1
            self.tally.missing += max(0, self.expected - len(self.seen))
            self.tally.gaps += self.highest + 1 - len(self.seen)
            self.tally.complete += self.expected > 0 and len(self.seen) >= self.expected

    async def _socket(self) -> socket.socket | None:
        if not self.watch.pause:
            return None
        address = urlsplit(self.url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RECEIVE_BUFFER)
        # A small segment size, as over a slow link: the server's kernel sizes the socket's
        # send buffer by it (on loopback, 64 KB segments give it megabytes to fill before
        # the server notices that this client stopped reading).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, SLOW_SEGMENT)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (address.hostname, address.port))
        return sock

    async def _connection(self) -> None:
        async with websockets.connect(
            self.url,
            sock=await self._socket(),
            subprotocols=[websockets.Subprotocol(PROTOCOL)],
            ping_interval=None,  # a paused reader must not time itself out
            open_timeout=120,
            max_queue=SLOW_CLIENT_QUEUE if self.watch.pause else None,
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": self.token}}))
            while (frame := json.loads(await ws.recv()))["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            assert frame["type"] == "connection_ack", frame
            variables = {"chat": self.watch.chat, "after": self.cursor}
            query = SLOW_SUBSCRIBE if self.watch.pause else SUBSCRIBE
            payload = {"query": query, "variables": variables}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.subscribed.set()
            while not self._done():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                frame = json.loads(raw)
                if frame["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif frame["type"] == "next":
                    if not await self._next(frame["payload"]):
                        return
                else:  # error or complete: the server ended the subscription
                    self.tally.errors[_error_code(frame)] += 1
                    return

    @property
    def token(self) -> str:
        return self.watch.token

    async def _next(self, payload: dict[str, Any]) -> bool:
        if payload.get("errors"):
            for error in payload["errors"]:
                self.tally.errors[error.get("extensions", {}).get("code", "NONE")] += 1
            return False
        message = (payload.get("data") or {}).get("chatEvents", {}).get("message")
        if message is None:
            return True
        self.cursor = cursor_of(message["id"])
        if message["content"] == PROBE:
            self.live.set()
            return True
        now = time.time()
        head, sent, *_ = message["content"].split(" ", 2)
        seq = int(head[1:])
        latency = (now - float(sent)) * 1000
        tally = self.tally
        tally.deliveries += 1
        tally.first_arrival = min(tally.first_arrival, now)
        tally.last_arrival = max(tally.last_arrival, now)
        (tally.slow_latencies_ms if self.watch.pause else tally.latencies_ms).append(latency)
        tally.last_arrival_ms[seq] = max(latency, tally.last_arrival_ms.get(seq, 0.0))
        if seq in self.seen:
            tally.duplicates += 1
        elif seq < self.highest:
            tally.out_of_order += 1
        self.seen.add(seq)
        self.highest = max(self.highest, seq)
        if self.watch.pause and not self.paused:
            # The slow consumer stops reading at its first measured message: the frames
            # behind it fill its client's queue, then the kernel buffers, then the server's.
            self.paused = True
            await asyncio.sleep(self.watch.pause)
        return True


def _error_code(frame: dict[str, Any]) -> str:
    if frame["type"] == "complete":
        return "COMPLETE"
    errors = frame.get("payload") or [{}]
    code: str = errors[0].get("extensions", {}).get("code", "NONE")
    return code


async def _group(
    url: str,
    watches: list[Watch],
    expected: int,
    at_once: bool,
    events: multiprocessing.Queue[tuple[Any, ...]],
    stop_at: Synchronized[float],
    index: int,
) -> None:
    tally = Tally()
    subscribers = [_Subscriber(url, watch, expected, tally, stop_at) for watch in watches]
    gate = asyncio.Semaphore(len(watches) if at_once else CONNECTS_AT_ONCE)

    async def start(subscriber: _Subscriber) -> None:
        async with gate:
            task = asyncio.create_task(subscriber.run())
            await subscriber.subscribed.wait()
        await task

    tasks = [asyncio.create_task(start(subscriber)) for subscriber in subscribers]
    await asyncio.gather(*(s.subscribed.wait() for s in subscribers))
    events.put(("subscribed", index, time.time()))
    await asyncio.gather(*(s.live.wait() for s in subscribers))
    events.put(("live", index, time.time()))
    await asyncio.gather(*tasks)
    events.put(("result", index, tally))


def _process(
    url: str,
    watches: list[Watch],
    expected: int,
    at_once: bool,
    events: multiprocessing.Queue[tuple[Any, ...]],
    stop_at: Synchronized[float],
    index: int,
) -> None:
    uvloop.run(_group(url, watches, expected, at_once, events, stop_at, index))


class Fleet:
    """`watches` split over `processes` processes, each expecting seqs 0..expected-1 (0:
    none, they stay until finished). Use: start(), wait("subscribed"), probe until
    wait("live"), send, finish(deadline)."""

    def __init__(
        self, url: str, watches: list[Watch], expected: int, processes: int, at_once: bool = False
    ) -> None:
        context = processes_context()
        self.events: multiprocessing.Queue[tuple[Any, ...]] = context.Queue()
        self.stop_at: Synchronized[float] = context.Value("d", math.inf, lock=False)
        count = max(1, min(processes, len(watches)))
        self.processes = [
            context.Process(
                target=_process,
                args=(url, watches[n::count], expected, at_once, self.events, self.stop_at, n),
                daemon=True,
            )
            for n in range(count)
        ]
        self.reached: dict[str, set[int]] = {"subscribed": set(), "live": set(), "result": set()}
        self.tallies: list[Tally] = []

    def start(self) -> float:
        for process in self.processes:
            process.start()
        return time.time()

    def wait(
        self, stage: str, timeout: float, meanwhile: Callable[[], None] | None = None
    ) -> float:
        """Until every process reached `stage` (calling `meanwhile` about every 0.3 s); the
        time the last one did."""
        deadline = time.monotonic() + timeout
        last, called = 0.0, -math.inf
        while len(self.reached[stage]) < len(self.processes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"subscribers not {stage} after {timeout} s")
            if meanwhile is not None and time.monotonic() - called > MEANWHILE_EVERY:
                meanwhile()
                called = time.monotonic()
            try:
                kind, index, *rest = self.events.get(timeout=0.3)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in self.processes):
                    raise RuntimeError("a subscriber process crashed") from None
                continue
            self.reached[kind].add(index)
            if kind == stage:
                last = max(last, rest[0] if isinstance(rest[0], float) else 0.0)
            if kind == "result":
                self.tallies.append(rest[0])
        return last

    def finish(self, deadline: float) -> Tally:
        """Stop at `deadline` (time.time()) at the latest; everyone's tally."""
        self.stop_at.value = deadline
        self.wait("result", max(0.0, deadline - time.time()) + RESULT_TIMEOUT)
        for process in self.processes:
            process.join(timeout=10)
        total = Tally()
        for tally in self.tallies:
            total.add(tally)
        return total

    def stop(self) -> None:
        kill(self.processes)
