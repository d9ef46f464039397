"""Ordinary traffic's latency, quiet and under attack.

Starts `thespace serve` in production mode (SQLite + memory in a temporary directory unless
DATABASE_URL / BROADCAST_URL are set), then runs ordinary clients (history pages and
messages, RATE a second between them) for SECONDS while nothing else happens, and again for
SECONDS while attacker processes send, in a loop, the requests that once stalled or crashed
the server: a 30-level fragment bomb, an alias bomb, an oversized WebSocket frame, a deeply
nested cursor and a deeply nested JSON body. Every client and attacker runs in a process of
its own, off the core the server is pinned to (on a machine with more than one), so the
server's process measures only itself. Reports p50/p99 of both phases, their ratio, and the
share of its core the server used.

    .venv/bin/python -m bench.hostile [--seconds 30] [--clients 4] [--rate 10] [--attackers 2]
"""

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.server import account, graphql, running_server

HISTORY = """query($c: ID!) {
    messages(chatId: $c, last: 50) {
        edges { cursor node { id content createdAt author { id tag displayName }
            reactions { emoji count reactedByMe } attachments { id url } replyTo { id } } }
        pageInfo { hasPreviousPage startCursor }
    }
}"""
SEND = "mutation($c: ID!, $t: String!) { sendMessage(input: {chatId: $c, content: $t}) { id } }"
LEVELS = 30
TIMEOUT = 10.0  # seconds: a request that takes longer counts as this long, and as stalled


def fragment_bomb() -> str:
    fragments = [
        f"fragment F{n} on User {{ id ...F{n + 1} ...F{n + 1} }}" for n in range(LEVELS - 1)
    ]
    return (
        "query { me { ...F0 } } "
        + " ".join(fragments)
        + f" fragment F{LEVELS - 1} on User {{ id }}"
    )


def alias_bomb() -> str:
    return "query { " + " ".join(f"a{n}: __typename" for n in range(2000)) + " }"


def deep_cursor() -> str:
    return base64.urlsafe_b64encode(b"[" * 5000).decode()


async def attack(url: str, ws_url: str, chat: str, token: str, until: float, address: str) -> int:
    """Send every attack in turn until `until`, from `address` (an attacker is a host of its
    own, named through the trusted proxy header); how many were sent."""
    sent = 0
    # Built once: the attackers' own work is not what is measured.
    cursor_query = (
        "query($c: ID!, $b: String) { messages(chatId: $c, before: $b) { edges { cursor } } }"
    )
    json_type = {"content-type": "application/json"}
    bodies = [
        (json.dumps({"query": fragment_bomb()}).encode(), json_type),
        (json.dumps({"query": alias_bomb()}).encode(), json_type),
        (
            json.dumps(
                {"query": cursor_query, "variables": {"c": chat, "b": deep_cursor()}}
            ).encode(),
            {**json_type, "Authorization": f"Bearer {token}"},
        ),
        (b"[" * 500_000, json_type),
    ]
    # The header of a masked 15 MiB text frame and its first 64 KiB: the server must refuse
    # it from the header, before the rest would arrive.
    frame = bytes([0x81, 0x80 | 127]) + (15 << 20).to_bytes(8, "big") + os.urandom(4)
    frame += bytes(64 << 10)
    origin = {"X-Forwarded-For": address}
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, headers=origin) as http:
        while time.monotonic() < until:
            for body, headers in bodies:
                with contextlib.suppress(httpx.TimeoutException):
                    await http.post("/graphql", content=body, headers=headers)
                sent += 1
            try:
                async with asyncio.timeout(TIMEOUT):
                    async with websockets.connect(
                        ws_url,
                        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                        additional_headers=origin,
                    ) as ws:
                        ws.transport.write(frame)
                        await ws.recv()
            except (websockets.ConnectionClosed, OSError, TimeoutError):
                pass
            sent += 1
    return sent


async def ordinary(url: str, chat: str, token: str, until: float, interval: float) -> list[float]:
    """Alternate history pages and messages, one every `interval` seconds (as people use a
    chat: an arrival rate, not as fast as answers come), until `until`; each request's
    milliseconds."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, headers=headers) as http:
        number = 0
        next_at = time.monotonic()
        while time.monotonic() < until:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            number += 1
            body = (
                {"query": HISTORY, "variables": {"c": chat}}
                if number % 2
                else {"query": SEND, "variables": {"c": chat, "t": f"m{number}"}}
            )
            started = time.perf_counter()
            try:
                response = await http.post("/graphql", json=body)
            except httpx.TimeoutException:
                latencies.append(TIMEOUT * 1000)
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            assert "errors" not in response.json(), response.text
    return latencies


def _client(url: str, chat: str, token: str, until: float, interval: float, queue: Any) -> None:
    _off_the_server_core()
    queue.put(asyncio.run(ordinary(url, chat, token, until, interval)))


def _attacker(
    url: str, ws_url: str, chat: str, token: str, until: float, address: str, queue: Any
) -> None:
    _off_the_server_core()
    # Attackers are other hosts: on this machine they take only the time the ordinary
    # clients leave, so that their latency is the server's, not a starved client's.
    os.nice(19)
    queue.put(asyncio.run(attack(url, ws_url, chat, token, until, address)))


SERVER_CORE = 0


def _off_the_server_core() -> None:
    """Load generators share the other cores: what they cost is not the server's time."""
    others = os.sched_getaffinity(0) - {SERVER_CORE}
    if others:
        os.sched_setaffinity(0, others)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def phase(
    url: str,
    ws_url: str,
    chat: str,
    tokens: list[str],
    attackers: int,
    seconds: float,
    rate: float,
) -> tuple[list[float], int]:
    until = time.monotonic() + seconds
    interval = len(tokens) / rate
    context = multiprocessing.get_context("spawn")
    results, hits = context.Queue(), context.Queue()
    processes = [
        context.Process(target=_client, args=(url, chat, token, until, interval, results))
        for token in tokens
    ] + [
        context.Process(
            target=_attacker,
            args=(url, ws_url, chat, tokens[0], until, f"192.0.2.{number + 1}", hits),
        )
        for number in range(attackers)
    ]
    for process in processes:
        process.start()
    latencies = [ms for _ in tokens for ms in results.get()]
    sent = sum(hits.get() for _ in range(attackers))
    for process in processes:
        process.join()
    return latencies, sent


def summary(latencies: list[float]) -> dict[str, float]:
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "stalled": sum(ms >= TIMEOUT * 1000 for ms in latencies),
        "p50_ms": quantiles[49],
        "p99_ms": quantiles[98],
    }


async def prepare(url: str, clients: int) -> tuple[str, list[str]]:
    """A public space's channel with 50 messages, and `clients` members' tokens."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        tokens = [await account(http, f"user{n}", n) for n in range(clients)]
        create = (
            'mutation { createSpace(input: {name: "B", isPublic: true}) { id channels { id } } }'
        )
        created = await graphql(http, create, {}, tokens[0])
        space, chat = created["createSpace"]["id"], created["createSpace"]["channels"][0]["id"]
        for token in tokens[1:]:
            await graphql(
                http, "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }", {"s": space}, token
            )
        for number in range(50):
            await graphql(http, SEND, {"c": chat, "t": f"seed {number}"}, tokens[0])
    return chat, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10, help="ordinary requests per second")
    parser.add_argument("--attackers", type=int, default=2)
    args = parser.parse_args()
    production = {
        "ENVIRONMENT": "production",
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "MESSAGE_RATE_LIMIT": "1000/second",  # measures latency, not the send limit
    }
    with running_server(production) as server:
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(server.pid, {SERVER_CORE})
        chat, tokens = asyncio.run(prepare(server.http_url, args.clients))
        started = cpu_seconds(server.pid)
        quiet, _ = phase(server.http_url, server.ws_url, chat, tokens, 0, args.seconds, args.rate)
        between = cpu_seconds(server.pid)
        loaded, attacks = phase(
            server.http_url, server.ws_url, chat, tokens, args.attackers, args.seconds, args.rate
        )
        busy = (between - started, cpu_seconds(server.pid) - between)
    quiet_summary, loaded_summary = summary(quiet), summary(loaded)
    print(
        json.dumps(
            {
                "quiet": {**quiet_summary, "server_cpu_share": busy[0] / args.seconds},
                "under_attack": {
                    **loaded_summary,
                    "attacks_sent": attacks,
                    "server_cpu_share": busy[1] / args.seconds,
                },
                "p99_ratio": loaded_summary["p99_ms"] / quiet_summary["p99_ms"],
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
