"""Event delivery latency and server memory with many live subscribers.

Starts `thespace serve` on a free port (SQLite + in-memory broadcast in a temporary
directory, unless DATABASE_URL / BROADCAST_URL are set, e.g. to a migrated PostgreSQL
database and Redis), opens SUBSCRIBERS graphql-transport-ws sockets on one channel, sends
MESSAGES messages through HTTP and reports how long each took to reach every subscriber,
and the server's resident memory before and after.

    .venv/bin/python -m bench.event_latency [--subscribers 200] [--messages 50]
"""

import argparse
import asyncio
import json
import statistics
import sys
import time

import httpx
import websockets

from bench.procfs import cpu_seconds
from bench.server import account, graphql, rss_mib, running_server

SUBSCRIBE = """subscription($chat: ID!) {
    chatEvents(chatId: $chat) { ... on MessageCreated { message { content author { tag } } } }
}"""
CREATE_SPACE = """mutation {
    createSpace(input: {name: "Bench", isPublic: true}) { id channels { id } }
}"""
SEND = """mutation($c: ID!, $t: String!) {
    sendMessage(input: {chatId: $c, content: $t}) { id }
}"""


async def subscriber(
    url: str,
    token: str,
    chat: str,
    ready: asyncio.Event,
    arrivals: dict[str, list[float]],
    expected: int,
) -> None:
    async with websockets.connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], max_queue=None
    ) as ws:
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


async def run(port: int, pid: int, subscribers: int, messages: int) -> dict[str, float]:
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
        cpu_before = cpu_seconds(pid)
        for number in range(messages):
            content = f"m{number}"
            sent_at[content] = time.perf_counter()
            await graphql(http, SEND, {"c": chat, "t": content}, owner)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        cpu = cpu_seconds(pid) - cpu_before
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
        # Sending the messages included: the server's (all its processes') CPU for the burst.
        "server_cpu_ms_per_delivery": cpu * 1000 / len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    # Measures delivery, not the per-user send limit.
    with running_server({"MESSAGE_RATE_LIMIT": "1000/second"}) as server:
        before = rss_mib(server.pid)
        result = asyncio.run(run(server.port, server.pid, args.subscribers, args.messages))
        result["rss_before_mib"] = before
        result["rss_after_mib"] = rss_mib(server.pid)
    expected = args.subscribers * args.messages
    print(
        json.dumps({"subscribers": args.subscribers, "messages": args.messages, **result}, indent=2)
    )
    if result["deliveries"] != expected:
        sys.exit(f"delivered {result['deliveries']} of {expected}")


if __name__ == "__main__":
    main()
