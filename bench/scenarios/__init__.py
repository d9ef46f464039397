"""Every scenario, in the order a run takes them (the heaviest last), with the issue's
target and the figure the issue measured before the speed work."""

from collections.abc import Callable
from dataclasses import dataclass

from bench.scenarios import fanout, memory, requests, search, statements
from bench.scenarios.context import Result, Run


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    target: str
    earlier: str  # issue 11's figure on PostgreSQL + Redis
    run: Callable[[Run], Result]
    earlier_embedded: str = ""  # issue 11's figure on SQLite + memory, where it has one


SCENARIOS = [
    Scenario(
        "sql-per-page",
        "SQL statements per history page",
        "≤ 3 for the page, besides authentication's read of the caller",
        "7 SELECT + 2 BEGIN/ROLLBACK",
        statements.statements,
    ),
    Scenario(
        "history-1",
        "history page `messages(last: 50)` with authors, reactions, attachments, replies, 1 client",
        "p50 ≤ 3 ms alone",
        "24 pages/s, p50 32 ms alone; ~40 ms CPU per page",
        requests.history_1,
    ),
    Scenario(
        "history-50",
        "the same history page, 50 clients",
        "≥ 1,000 pages/s, p99 ≤ 50 ms",
        "24 pages/s, 2 s at 50 clients",
        requests.history_50,
    ),
    Scenario(
        "history-big-newest",
        "newest page of a 1,000,000-message chat, 1 client",
        "as a short chat's page: p50 ≤ 3 ms",
        "—",
        requests.history_big_newest,
    ),
    Scenario(
        "history-big-deep",
        "a page deep in the 1,000,000-message chat (`before` near its start), 1 client",
        "as a short chat's page: p50 ≤ 3 ms",
        "—",
        requests.history_big_deep,
    ),
    Scenario(
        "search",
        "`searchMessages`, two-word queries over 1,000,000 messages, the searcher in 50 of "
        "1,000 chats, 1 client (issue 13)",
        "p99 ≤ 50 ms",
        "—",
        search.search,
    ),
    Scenario(
        "send-50",
        "`sendMessage`, 50 concurrent clients",
        "≥ 1,500/s, p99 ≤ 50 ms",
        "62/s, p50 800 ms, p99 2.2 s",
        requests.send_50,
    ),
    Scenario(
        "memory",
        "memory per idle subscribed socket (1,000 sockets, 3 rounds)",
        "≤ 30 KB, returned after close, no growth across rounds",
        "135-154 KB, never returned after close",
        memory.memory,
    ),
    Scenario(
        "single",
        "one message every 4 s to 1,000 sockets: until the last socket has it",
        "≤ 20 ms",
        "1.1-1.5 s",
        fanout.single,
    ),
    Scenario(
        "fanout-5",
        "fan-out, 1 channel x 1,000 subscribers x 5 msg/s",
        "keeps up (5,000/s), p99 ≤ 50 ms, zero loss (capacity ≥ 30,000/s: fanout-max)",
        "933 deliveries/s, p50 44 s, p99 87 s; ~1.1 ms server CPU per delivery",
        fanout.fanout_5,
        "983/s, p50 41 s, 10 of 99 messages lost, one `database is locked` INTERNAL",
    ),
    Scenario(
        "fanout-10",
        "fan-out, 1,000 x 10 msg/s",
        "p50 ≤ 10 ms, p99 ≤ 50 ms, zero loss",
        "957/s, p99 187 s, 1,000 deliveries lost",
        fanout.fanout_10,
    ),
    Scenario(
        "chats",
        "100 group chats x 10 subscribers, 1 msg/s each",
        "p99 ≤ 50 ms, zero loss",
        "—",
        fanout.chats,
    ),
    Scenario(
        "storm",
        "subscribe storm: 1,000 clients subscribe at once, then 100 messages",
        "each gets all 100",
        "—",
        fanout.storm,
    ),
    Scenario(
        "slow",
        "slow consumer: one client stops reading for 60 s, 50 others, 50 msg/s",
        "it is cut off (1013) and resumes with no loss; the others' p99 ≤ 50 ms",
        "—",
        fanout.slow,
    ),
    Scenario(
        "fanout-max",
        "fan-out capacity: 1,000 subscribers x 30 msg/s (30,000 deliveries/s offered)",
        "≥ 30,000 deliveries/s sustained, zero loss",
        "— (933/s at 5 msg/s)",
        fanout.fanout_max,
    ),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
