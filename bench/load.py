"""HTTP load from processes of their own: paced senders for the fan-out scenarios, and
closed-loop clients (each sends its next request when the last is answered) for pages and
sends. Every answer is checked: an error is counted by its `extensions.code`."""

import asyncio
import multiprocessing
import queue
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import httpx
import uvloop

from bench.fleet import PROBE, content
from bench.processes import context as processes_context
from bench.processes import kill

SEND = """mutation($c: ID!, $t: String!, $k: String) {
    sendMessage(input: {chatId: $c, content: $t, clientMessageId: $k}) { id }
}"""
TIMEOUT = 60.0
PACED_SLACK = 5 * TIMEOUT  # seconds a paced sender may run past its schedule


@dataclass
class Answers:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # extensions.code, or HTTP status
    wrong: int = 0  # answered without error but not with what was asked (a short page)
    retried: int = 0  # sends resent with their clientMessageId after a connection failed
    first_sent: float = 0.0
    last_sent: float = 0.0

    def add(self, other: "Answers") -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.errors.update(other.errors)
        self.wrong += other.wrong
        self.retried += other.retried
        self.first_sent = min(self.first_sent or other.first_sent, other.first_sent)
        self.last_sent = max(self.last_sent, other.last_sent)


async def _post(
    http: httpx.AsyncClient,
    answers: Answers,
    query: str,
    variables: dict[str, Any],
    token: str,
    edges: int | None = None,
) -> None:
    """One request, its answer checked. A send with a clientMessageId (`k`) is retried once
    when the connection fails, as a client would: the server stores it once either way.
    (uvicorn closes a keep-alive connection idle for 5 s; a request sent on it just then
    fails with ReadError before the server has read it.)"""
    started = time.perf_counter()
    attempts = 2 if variables.get("k") else 1
    for attempt in range(attempts):
        try:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            break
        except httpx.TransportError as exc:
            if attempt + 1 < attempts:
                answers.retried += 1
                continue
            answers.errors[type(exc).__name__] += 1
            return
        except httpx.HTTPError as exc:
            answers.errors[type(exc).__name__] += 1
            return
    answers.latencies_ms.append((time.perf_counter() - started) * 1000)
    try:
        body = response.json()
    except ValueError:
        answers.errors[f"HTTP {response.status_code}"] += 1
        return
    for error in body.get("errors") or []:
        answers.errors[error.get("extensions", {}).get("code", "NONE")] += 1
    data = body.get("data")
    if not body.get("errors") and edges is not None:
        page = data and next(iter(data.values()))
        if not page or len(page["edges"]) != edges:
            answers.wrong += 1


async def _paced(
    url: str, sends: list[tuple[str, str]], count: int, rate: float, pad: int
) -> Answers:
    """Each (token, chat) sends seqs 0..count-1 at `rate` a second, one after the other (a
    chat's order is its sender's), catching up at once when an answer came late."""
    answers = Answers(first_sent=time.time())
    run = uuid.uuid4().hex  # clientMessageIds of this run's sends, unique across scenarios
    limits = httpx.Limits(max_connections=len(sends))
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as http:

        async def sender(token: str, chat: str, offset: float) -> None:
            start = time.monotonic() + offset
            for seq in range(count):
                await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
                variables = {"c": chat, "t": content(seq, pad), "k": f"{run}-{seq}"}
                await _post(http, answers, SEND, variables, token)

        # Spread the chats' sends over one interval instead of all on the same tick.
        await asyncio.gather(
            *(sender(t, c, n / rate / len(sends)) for n, (t, c) in enumerate(sends))
        )
    answers.last_sent = time.time()
    return answers


async def _closed_loop(
    url: str,
    query: str,
    variables: dict[str, Any],
    tokens: list[str],
    seconds: float,
    edges: int | None,
) -> Answers:
    answers = Answers(first_sent=time.time())
    until = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=len(tokens))
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as http:

        async def client(number: int, token: str) -> None:
            sent = 0
            while time.monotonic() < until:
                own = dict(variables)
                if "t" in own:  # a send: content of its own
                    own["t"] = f"{own['t']} {number}-{sent}"
                await _post(http, answers, query, own, token, edges)
                sent += 1

        await asyncio.gather(*(client(n, t) for n, t in enumerate(tokens)))
    answers.last_sent = time.time()
    return answers


def _paced_process(queue: Any, *args: Any) -> None:
    queue.put(uvloop.run(_paced(*args)))


def _closed_loop_process(queue: Any, *args: Any) -> None:
    queue.put(uvloop.run(_closed_loop(*args)))


def _in_processes(target: Any, jobs: list[tuple[Any, ...]], seconds: float) -> Answers:
    """Each job in a process of its own; their answers added up. A process that has not
    answered `seconds` + TIMEOUT after the start is killed (and the run fails)."""
    context = processes_context()
    results: multiprocessing.Queue[Answers] = context.Queue()
    processes: list[BaseProcess] = [
        context.Process(target=target, args=(results, *job)) for job in jobs
    ]
    deadline = time.monotonic() + seconds + TIMEOUT
    try:
        for process in processes:
            process.start()
        total = Answers()
        for _ in processes:
            try:
                total.add(results.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                message = f"load not done {seconds + TIMEOUT:.0f} s after it began"
                raise TimeoutError(message) from None
        return total
    finally:
        kill(processes)


def paced_sends(
    url: str, sends: list[tuple[str, str]], count: int, rate: float, pad: int = 0
) -> Answers:
    """Blocks while a process of its own sends; see `_paced`."""
    # A saturated server answers each send late, which holds the next ones back: the
    # sender may take minutes longer than the schedule before it is taken for hung.
    budget = count / rate + PACED_SLACK
    return _in_processes(_paced_process, [(url, sends, count, rate, pad)], budget)


def closed_loop(
    url: str,
    query: str,
    variables: dict[str, Any],
    tokens: list[str],
    seconds: float,
    processes: int,
    edges: int | None = None,
) -> Answers:
    """`tokens` clients (one each) split over `processes` processes, for `seconds`."""
    count = max(1, min(processes, len(tokens)))
    jobs = [(url, query, variables, tokens[n::count], seconds, edges) for n in range(count)]
    return _in_processes(_closed_loop_process, jobs, seconds)


def probe(http: httpx.Client, chats: list[tuple[str, str]]) -> None:
    """One `probe` message into each (token, chat) (from the parent process: not measured)."""
    for token, chat in chats:
        response = http.post(
            "/graphql",
            json={"query": SEND, "variables": {"c": chat, "t": PROBE}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"probe refused: {body['errors']}")
