"""Request/response paths under closed-loop clients: history pages and sendMessage."""

import math
from typing import Any

from bench.load import SEND, Answers, closed_loop
from bench.scenarios.context import (
    Result,
    Run,
    answer_problems,
    internal_errors,
    judged,
    ms,
    percentile,
)
from resolvers.pagination import encode_cursor

PAGE = 50
HISTORY = """query($c: ID!, $before: String) {
    messages(chatId: $c, last: 50, before: $before) {
        edges { cursor node { id content createdAt author { id tag displayName }
            reactions { emoji count reactedByMe } attachments { id url } replyTo { id } } }
        pageInfo { hasPreviousPage startCursor }
    }
}"""
DEEP = 100  # the deep page ends this many messages after the long chat's first


def _figures(answers: Answers, clients: int) -> dict[str, Any]:
    span = answers.last_sent - answers.first_sent
    return {
        "clients": clients,
        "requests": len(answers.latencies_ms),
        "per_s": len(answers.latencies_ms) / span if span > 0 else math.nan,
        "p50_ms": percentile(answers.latencies_ms, 0.5),
        "p99_ms": percentile(answers.latencies_ms, 0.99),
        "errors": dict(answers.errors),
        "wrong": answers.wrong,
    }


def _summary(figures: dict[str, Any], unit: str) -> str:
    return (
        f"{figures['per_s']:,.0f} {unit}/s at {figures['clients']} clients, "
        f"p50 {ms(figures['p50_ms'])}, p99 {ms(figures['p99_ms'])}"
    )


def _result(run: Run, answers: Answers, clients: int, unit: str, goal: Any) -> Result:
    figures = _figures(answers, clients)
    return Result(
        _summary(figures, unit),
        figures,
        judged(run.profile, goal(figures)),
        answer_problems(answers, unit),
        internal=internal_errors(answers.errors),
    )


def _pages(run: Run, chat: str, clients: int, goal: Any, before: str | None = None) -> Result:
    answers = closed_loop(
        run.server.http_url,
        HISTORY,
        {"c": chat, "before": before},
        run.readers(clients),
        run.profile.request_seconds,
        run.profile.processes,
        edges=PAGE,
    )
    return _result(run, answers, clients, "pages", goal)


def history_1(run: Run) -> Result:
    """`messages(last: 50)` with authors, reactions, attachments and replies, one client."""
    clients = run.profile.history_clients[0]
    return _pages(run, run.chat("history"), clients, lambda f: f["p50_ms"] <= 3)


def history_50(run: Run) -> Result:
    clients = run.profile.history_clients[-1]
    return _pages(
        run,
        run.chat("history"),
        clients,
        lambda f: f["per_s"] >= 1000 and f["p99_ms"] <= 50,
    )


def history_big_newest(run: Run) -> Result:
    """The newest page of a 1,000,000-message chat, one client."""
    return _pages(run, run.chat("big"), 1, lambda f: f["p50_ms"] <= 3)


def history_big_deep(run: Run) -> Result:
    """A page deep in the 1,000,000-message chat: `before` a cursor near its start."""
    before = encode_cursor(run.seeded.big_first_message + DEEP)
    return _pages(run, run.chat("big"), 1, lambda f: f["p50_ms"] <= 3, before)


def send_50(run: Run) -> Result:
    """`sendMessage` from 50 clients at once (each its own user) into one channel."""
    clients = run.profile.send_clients
    answers = closed_loop(
        run.server.http_url,
        SEND,
        {"c": run.chat("send"), "t": "closed loop"},
        run.senders(clients),
        run.profile.request_seconds,
        run.profile.processes,
    )
    return _result(
        run, answers, clients, "messages", lambda f: f["per_s"] >= 1500 and f["p99_ms"] <= 50
    )
