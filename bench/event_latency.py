"""Event delivery latency and server memory with many live subscribers.

Starts `thespace serve` on a free port (SQLite + in-memory broadcast in a temporary
directory, unless DATABASE_URL / BROADCAST_URL are set, e.g. to a migrated PostgreSQL
database and Redis), opens SUBSCRIBERS graphql-transport-ws sockets on one channel, sends
MESSAGES messages through HTTP and reports how long each took to reach every subscriber,
and the server's resident memory before and after.

    .venv/bin/python bench/event_latency.py [--subscribers 200] [--messages 50]
"""

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

SUBSCRIBE = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { ... on MessageCreated { message { content author { tag } } } }
}"""
CREATE_SPACE = """mutation {
    createSpace(input: {name: "Bench", isPublic: true}) { id channels { id } }
}"""
SEND = """mutation($c: ID!, $t: String!) {
    sendMessage(input: {chatId: $c, content: $t}) { id }
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str = "",
    client: str = "127.0.0.1",
) -> Any:
    # Each simulated user registers from an address of its own (a documentation range,
    # given through the trusted proxy header), as real users would: sign-up is rate-limited.
    headers = {"X-Forwarded-For": client}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def account(http: httpx.AsyncClient, tag: str, number: int = 0) -> str:
    query = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"
    variables = {
        "i": {
            "email": f"{tag}@example.com",
            "password": "correct horse",
            "tag": tag,
            "displayName": tag,
        }
    }
    token: str = (
        await graphql(http, query, variables, client=f"198.51.{number // 250}.{number % 250 + 1}")
    )["register"]["accessToken"]
    return token


async def subscriber(
    url: str,
    token: str,
    chat: str,
    ready: asyncio.Event,
    arrivals: dict[str, list[float]],
    expected: int,
) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": SUBSCRIBE, "variables": {"chat": chat}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        ready.set()
        received = 0
        while received < expected:
            message = json.loads(await ws.recv())
            content = message["payload"]["data"]["chatEvents"]["message"]["content"]
            arrivals.setdefault(content, []).append(time.perf_counter())
            received += 1


async def run(port: int, subscribers: int, messages: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        owner = await account(http, "owner")
        space = await graphql(
            http,
            CREATE_SPACE,
            {},
            owner,
        )
        space_id, chat = space["createSpace"]["id"], space["createSpace"]["channels"][0]["id"]
        tokens = []
        for number in range(subscribers):
            token = await account(http, f"reader{number}", number + 1)
            await graphql(
                http, "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }", {"s": space_id}, token
            )
            tokens.append(token)
        arrivals: dict[str, list[float]] = {}
        readies = [asyncio.Event() for _ in tokens]
        url = f"ws://127.0.0.1:{port}/graphql"
        tasks = [
            asyncio.create_task(subscriber(url, t, chat, r, arrivals, messages))
            for t, r in zip(tokens, readies, strict=True)
        ]
        await asyncio.gather(*(r.wait() for r in readies))
        await asyncio.sleep(1.0)  # let every subscription reach the broadcast
        sent_at: dict[str, float] = {}
        for number in range(messages):
            content = f"m{number}"
            sent_at[content] = time.perf_counter()
            await graphql(http, SEND, {"c": chat, "t": content}, owner)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    latencies = sorted(
        (arrival - sent_at[content]) * 1000
        for content, times in arrivals.items()
        for arrival in times
    )
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "deliveries": len(latencies),
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
        "max_ms": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        environment = {
            **os.environ,
            "ENVIRONMENT": "development",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATA_DIR": directory,
            "REDIS_NAMESPACE": f"bench-{secrets.token_hex(4)}",
            # Measures delivery, not the per-user send limit.
            "MESSAGE_RATE_LIMIT": "1000/second",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            before = rss_mib(server.pid)
            result = asyncio.run(run(port, args.subscribers, args.messages))
            result["rss_before_mib"] = before
            result["rss_after_mib"] = rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=15)
    expected = args.subscribers * args.messages
    print(
        json.dumps({"subscribers": args.subscribers, "messages": args.messages, **result}, indent=2)
    )
    if result["deliveries"] != expected:
        sys.exit(f"delivered {result['deliveries']} of {expected}")


if __name__ == "__main__":
    main()
