"""History pages a second, and what each costs the server.

Starts `thespace serve` in production mode (SQLite + memory in a temporary directory unless
DATABASE_URL / BROADCAST_URL are set) pinned to one core, seeds a channel with 50 messages
(each by one of two members, replying to the one before, mentioning, with two reactions and
a file), then has CLIENTS clients in PROCESSES processes of their own (on the other core)
ask for the newest page with everything on it, each as soon as its last answer came, for
SECONDS. Reports pages a second, p50/p99 and the server's CPU milliseconds per page; with
`--profile FILE`, py-spy samples the server meanwhile and the hottest frames are printed.

    .venv/bin/python -m bench.history_page [--seconds 20] [--clients 1] [--processes 1]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.hostile import SERVER_CORE, _off_the_server_core, cpu_seconds
from bench.server import account, graphql, running_server

PAGE = """query($c: ID!) {
    messages(chatId: $c, last: 50) {
        edges { cursor node {
            id content createdAt
            author { id tag displayName avatarUrl }
            reactions { emoji count reactedByMe users { tag } }
            attachments { id filename contentType url }
            mentions { tag }
            replyTo { id content author { tag } }
        } }
        pageInfo { hasPreviousPage startCursor }
    }
}"""
SEND = """mutation($c: ID!, $t: String!, $r: ID, $f: [Upload!]) {
    sendMessage(input: {chatId: $c, content: $t, replyToId: $r, attachments: $f}) { id }
}"""
REACT = "mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }"
TIMEOUT = 10.0


async def prepare(url: str) -> tuple[str, list[str]]:
    """A public channel with 50 messages with everything, and its two members' tokens."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await seed(http)


async def seed(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """`prepare` through `http`."""
    tokens = [await account(http, tag, number) for number, tag in enumerate(("ann", "bob"))]
    create = 'mutation { createSpace(input: {name: "B", isPublic: true}) { id channels { id } } }'
    created = (await graphql(http, create, {}, tokens[0]))["createSpace"]
    chat = created["channels"][0]["id"]
    join = "mutation($s: ID!) { joinSpace(spaceId: $s) { id } }"
    await graphql(http, join, {"s": created["id"]}, tokens[1])
    previous = None
    for number in range(50):
        token = tokens[number % 2]
        variables = {"c": chat, "t": f"message {number} for @bob", "r": previous, "f": [None]}
        operations = json.dumps({"query": SEND, "variables": variables})
        files_map = json.dumps({"0": ["variables.f.0"]})
        response = await http.post(
            "/graphql",
            data={"operations": operations, "map": files_map},
            files={"0": ("notes.txt", b"notes " * 20, "text/plain")},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        previous = body["data"]["sendMessage"]["id"]
        for who, emoji in ((tokens[0], "👍"), (tokens[1], "🎉")):
            await graphql(http, REACT, {"m": previous, "e": emoji}, who)
    return chat, tokens


async def read_pages(url: str, chat: str, token: str, until: float) -> list[float]:
    """Pages one after the other until `until`; each one's milliseconds."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"query": PAGE, "variables": {"c": chat}}).encode()
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, headers=headers) as http:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = await http.post("/graphql", content=body)
            latencies.append((time.perf_counter() - started) * 1000)
            page = response.json()
            assert "errors" not in page and len(page["data"]["messages"]["edges"]) == 50, page
    return latencies


async def _clients(url: str, chat: str, token: str, until: float, count: int) -> list[float]:
    runs = [read_pages(url, chat, token, until) for _ in range(count)]
    return [ms for run in await asyncio.gather(*runs) for ms in run]


def _process(url: str, chat: str, token: str, until: float, count: int, queue: Any) -> None:
    _off_the_server_core()
    queue.put(asyncio.run(_clients(url, chat, token, until, count)))


def drive(
    url: str, chat: str, token: str, seconds: float, clients: int, processes: int
) -> list[float]:
    until = time.monotonic() + seconds
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    shares = [clients // processes + (n < clients % processes) for n in range(processes)]
    started = [
        context.Process(target=_process, args=(url, chat, token, until, share, results))
        for share in shares
        if share
    ]
    for process in started:
        process.start()
    latencies = [ms for _ in started for ms in results.get()]
    for process in started:
        process.join()
    return latencies


# Where a request's time goes: a sample counts for each of these its stack passes through.
PHASES = {
    "parse": "parse (graphql/language/parser.py)",
    "validation": "validate (graphql/validation/validate.py)",
    "execution (graphql-core, resolvers)": "graphql/execution/",
    "SQLAlchemy": "sqlalchemy/",
    "database driver": ("aiosqlite/", "asyncpg/"),
    "JSON encoding": ("json/encoder.py", "encode_json"),
    "context and authentication": "GraphQLApp.get_context (",
}


def hottest(raw: Path, top: int = 12) -> list[str]:
    """From py-spy's raw (collapsed) samples: the share of the phases above, and the
    functions that held the most samples themselves."""
    own: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        own[frames[-1]] += samples
        for phase, markers in PHASES.items():
            if any(m in frame for frame in frames for m in _tuple(markers)):
                phases[phase] += samples
    lines = [f"{total} samples; phases (a sample may be in several):"]
    lines += [f"{100 * phases[phase] / total:5.1f} %  {phase}" for phase in PHASES]
    lines.append("own time:")
    lines += [f"{100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    return lines


def _tuple(markers: str | tuple[str, ...]) -> tuple[str, ...]:
    return markers if isinstance(markers, tuple) else (markers,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="py-spy's raw samples go here")
    args = parser.parse_args()
    production = {
        "ENVIRONMENT": "production",
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "MESSAGE_RATE_LIMIT": "1000/second",
        "REACTION_RATE_LIMIT": "1000/second",
    }
    # One process, so that its CPU is the server's (PostgreSQL + Redis would get one a core).
    with running_server(production, "--workers", "1") as server:
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(server.pid, {SERVER_CORE})
        chat, tokens = asyncio.run(prepare(server.http_url))
        drive(server.http_url, chat, tokens[1], 2, args.clients, args.processes)  # warm up
        spy = None
        if args.profile:
            spy = subprocess.Popen(
                [
                    Path(sys.executable).with_name("py-spy"),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--format",
                    "raw",
                    "--output",
                    str(args.profile),
                    "--duration",
                    str(int(args.seconds)),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
            )
        before = cpu_seconds(server.pid)
        latencies = drive(
            server.http_url, chat, tokens[1], args.seconds, args.clients, args.processes
        )
        cpu = cpu_seconds(server.pid) - before
        if spy is not None:
            spy.wait()
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "pages": len(latencies),
                "pages_per_second": len(latencies) / args.seconds,
                "p50_ms": quantiles[49],
                "p99_ms": quantiles[98],
                "server_cpu_ms_per_page": 1000 * cpu / len(latencies),
                "server_cpu_share": cpu / args.seconds,
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
    )
    if args.profile:
        print("\n".join(hottest(args.profile)))


if __name__ == "__main__":
    main()
