"""Ordinary traffic's latency, quiet and under attack.

Starts `thespace serve` in production mode (SQLite + memory in a temporary directory unless
DATABASE_URL / BROADCAST_URL are set), then runs ordinary clients (history pages and
messages) for SECONDS while nothing else happens, and again for SECONDS while attacker
processes send, in a loop, the requests that once stalled or crashed the server: a 30-level
fragment bomb, an alias bomb, an oversized WebSocket frame, a deeply nested cursor and a
deeply nested JSON body. Every client and attacker runs in a process of its own, so the
server's process measures only itself. Reports p50/p99 of both phases and their ratio.

    .venv/bin/python -m bench.hostile [--seconds 30] [--clients 4] [--attackers 2]
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
from collections.abc import Awaitable, Callable
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


async def attack(url: str, ws_url: str, chat: str, token: str, until: float) -> int:
    """Send every attack in turn until `until`; how many were sent."""
    sent = 0
    frame = json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "x" * (15 << 20)}})
    cursor_query = (
        "query($c: ID!, $b: String) { messages(chatId: $c, before: $b) { edges { cursor } } }"
    )
    attacks: list[Callable[[httpx.AsyncClient], Awaitable[Any]]] = [
        lambda http: http.post("/graphql", json={"query": fragment_bomb()}),
        lambda http: http.post("/graphql", json={"query": alias_bomb()}),
        lambda http: http.post(
            "/graphql",
            json={"query": cursor_query, "variables": {"c": chat, "b": deep_cursor()}},
            headers={"Authorization": f"Bearer {token}"},
        ),
        lambda http: http.post(
            "/graphql", content=b"[" * 500_000, headers={"content-type": "application/json"}
        ),
    ]
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http:
        while time.monotonic() < until:
            for send in attacks:
                with contextlib.suppress(httpx.TimeoutException):
                    await send(http)
                sent += 1
            try:
                async with asyncio.timeout(TIMEOUT):
                    async with websockets.connect(
                        ws_url, subprotocols=["graphql-transport-ws"]
                    ) as ws:
                        await ws.send(frame)
                        await ws.recv()
            except (websockets.ConnectionClosed, OSError, TimeoutError):
                pass
            sent += 1
    return sent


async def ordinary(url: str, chat: str, token: str, until: float) -> list[float]:
    """Alternate history pages and messages until `until`; each request's milliseconds."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, headers=headers) as http:
        number = 0
        while time.monotonic() < until:
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


def _client(url: str, chat: str, token: str, until: float, queue: Any) -> None:
    queue.put(asyncio.run(ordinary(url, chat, token, until)))


def _attacker(url: str, ws_url: str, chat: str, token: str, until: float, queue: Any) -> None:
    queue.put(asyncio.run(attack(url, ws_url, chat, token, until)))


def phase(
    url: str, ws_url: str, chat: str, tokens: list[str], attackers: int, seconds: float
) -> tuple[list[float], int]:
    until = time.monotonic() + seconds
    context = multiprocessing.get_context("spawn")
    results, hits = context.Queue(), context.Queue()
    processes = [
        context.Process(target=_client, args=(url, chat, token, until, results)) for token in tokens
    ] + [
        context.Process(target=_attacker, args=(url, ws_url, chat, tokens[0], until, hits))
        for _ in range(attackers)
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
    parser.add_argument("--attackers", type=int, default=2)
    args = parser.parse_args()
    production = {
        "ENVIRONMENT": "production",
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "MESSAGE_RATE_LIMIT": "1000/second",  # measures latency, not the send limit
    }
    with running_server(**production) as server:
        chat, tokens = asyncio.run(prepare(server.http_url, args.clients))
        quiet, _ = phase(server.http_url, server.ws_url, chat, tokens, 0, args.seconds)
        loaded, attacks = phase(
            server.http_url, server.ws_url, chat, tokens, args.attackers, args.seconds
        )
    quiet_summary, loaded_summary = summary(quiet), summary(loaded)
    print(
        json.dumps(
            {
                "quiet": quiet_summary,
                "under_attack": {**loaded_summary, "attacks_sent": attacks},
                "p99_ratio": loaded_summary["p99_ms"] / quiet_summary["p99_ms"],
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
