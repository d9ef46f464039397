"""Live delivery: subscribers on chatEvents in processes of their own, messages sent over
HTTP by another, every delivery timed and every subscriber's sequence checked."""

import math
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench import procfs
from bench.fleet import Fleet, Tally, Watch
from bench.load import Answers, paced_sends, probe
from bench.scenarios.context import (
    Result,
    Run,
    answer_problems,
    delivery_problems,
    internal_errors,
    judged,
    lost,
    ms,
    percentile,
)
from graphql_schema.ids import to_global_id
from infra.sockets import TRY_AGAIN_LATER

READY_TIMEOUT = 180.0  # seconds for every subscriber to connect and hear a probe


@dataclass
class Delivery:
    tally: Tally
    answers: Answers
    subscribe_seconds: float  # from the first connect until every subscription was live
    server_cpu: float  # seconds, while sending and draining

    @property
    def sustained(self) -> float:
        """Deliveries a second, from the first send to the last arrival."""
        span = self.tally.last_arrival - self.answers.first_sent
        return self.tally.deliveries / span if span > 0 else math.nan

    def figures(self) -> dict[str, Any]:
        lat = self.tally.latencies_ms
        return {
            "subscribers": self.tally.subscribers,
            "deliveries": self.tally.deliveries,
            "sustained_per_s": self.sustained,
            "p50_ms": percentile(lat, 0.5),
            "p99_ms": percentile(lat, 0.99),
            "max_ms": max(lat, default=math.nan),
            "missing": self.tally.missing,
            "lost": self.tally.gaps,
            "duplicates": self.tally.duplicates,
            "out_of_order": self.tally.out_of_order,
            "closes": dict(self.tally.closes),
            "resumes": self.tally.resumes,
            "subscription_errors": dict(self.tally.errors),
            "sends": len(self.answers.latencies_ms),
            "send_errors": dict(self.answers.errors),
            "sends_retried": self.answers.retried,
            "send_p50_ms": percentile(self.answers.latencies_ms, 0.5),
            "subscribe_seconds": self.subscribe_seconds,
            "server_cpu_ms_per_delivery": (
                self.server_cpu * 1000 / self.tally.deliveries if self.tally.deliveries else None
            ),
        }

    def problems(self, late_is_loss: bool) -> list[str]:
        return delivery_problems(self.tally, late_is_loss=late_is_loss) + answer_problems(
            self.answers, "sends"
        )

    def result(
        self, summary: str, figures: dict[str, Any], passed: bool | None, *, late_is_loss: bool
    ) -> Result:
        """The scenario's result: its problems, losses and INTERNAL errors from this run."""
        return Result(
            summary,
            figures,
            passed,
            self.problems(late_is_loss),
            lost=lost(self.tally, late_is_loss=late_is_loss),
            internal=internal_errors(self.tally.errors, self.answers.errors),
        )


def deliver(
    run: Run,
    watches: list[Watch],
    sends: list[tuple[str, str]],
    count: int,
    rate: float,
    *,
    padding: int = 0,
    at_once: bool = False,
) -> Delivery:
    """`watches` subscribe and hear a probe; then every (token, chat) of `sends` sends
    `count` messages at `rate` a second; deliveries may arrive until `profile.drain` after
    the last send."""
    fleet = Fleet(run.server.ws_url, watches, count, run.profile.processes, at_once=at_once)
    try:
        started = fleet.start()
        fleet.wait("subscribed", READY_TIMEOUT)
        with httpx.Client(base_url=run.server.http_url, timeout=30) as http:
            live = fleet.wait("live", READY_TIMEOUT, meanwhile=lambda: probe(http, sends))
        cpu = procfs.cpu_seconds(run.server.pid)
        answers = paced_sends(run.server.http_url, sends, count, rate, padding)
        tally = fleet.finish(time.time() + run.profile.drain)
        cpu = procfs.cpu_seconds(run.server.pid) - cpu
    finally:
        fleet.stop()
    return Delivery(tally, answers, live - started, cpu)


def _channel(run: Run, name: str, readers: int, rate: float, seconds: float) -> Delivery:
    chat = run.chat(name)
    watches = [Watch(token, chat) for token in run.readers(readers)]
    return deliver(run, watches, [(run.token(0), chat)], max(1, round(rate * seconds)), rate)


def _summary(delivery: Delivery) -> str:
    f = delivery.figures()
    return (
        f"{f['sustained_per_s']:,.0f} deliveries/s, p50 {ms(f['p50_ms'])}, "
        f"p99 {ms(f['p99_ms'])}, {f['missing']} of {f['subscribers'] * f['sends']} missing"
        f" ({f['lost']} lost), {f['duplicates']} duplicates, "
        f"{f['server_cpu_ms_per_delivery'] or math.nan:.2f} ms server CPU per delivery"
    )


def _sustained(run: Run, name: str, rate: float, seconds: float, goal: Any) -> Result:
    delivery = _channel(run, name, run.profile.subscribers, rate, seconds)
    figures = delivery.figures()
    passed = judged(run.profile, goal(figures))
    return delivery.result(_summary(delivery), figures, passed, late_is_loss=run.profile.quick)


def fanout_5(run: Run) -> Result:
    """1 channel x 1,000 subscribers x 5 msg/s: keeps up (all 5,000 a second delivered as
    they are sent), p99 <= 50 ms, nothing missing."""
    offered = run.profile.subscribers * 5
    return _sustained(
        run,
        "fanout-5",
        5,
        run.profile.seconds,
        lambda f: f["sustained_per_s"] >= 0.95 * offered and f["p99_ms"] <= 50 and not f["missing"],
    )


def fanout_10(run: Run) -> Result:
    return _sustained(
        run,
        "fanout-10",
        10,
        run.profile.seconds,
        lambda f: f["p50_ms"] <= 10 and f["p99_ms"] <= 50 and not f["missing"],
    )


def fanout_max(run: Run) -> Result:
    """30 msg/s to 1,000 subscribers offers 30,000 deliveries a second: the capacity goal."""
    return _sustained(
        run,
        "fanout-max",
        30,
        run.profile.seconds / 2,
        lambda f: f["sustained_per_s"] >= 30_000 and not f["missing"],
    )


def single(run: Run) -> Result:
    """One message every 4 s to every subscriber: how long until the last socket has it."""
    profile = run.profile
    delivery = _channel(
        run,
        "single",
        profile.subscribers,
        1 / profile.single_interval,
        profile.single_messages * profile.single_interval,
    )
    figures = delivery.figures()
    last = list(delivery.tally.last_arrival_ms.values())
    figures["last_socket_ms"] = last
    worst = max(last, default=math.nan)
    summary = (
        f"last socket after {ms(percentile(last, 0.5))} (median of {len(last)} messages), "
        f"worst {ms(worst)}; {figures['missing']} missing"
    )
    passed = judged(profile, worst <= 20 and not figures["missing"])
    return delivery.result(summary, figures, passed, late_is_loss=True)


def chats(run: Run) -> Result:
    """100 GROUP chats x 10 participants each watching, one message a second in each."""
    profile = run.profile
    watches, sends = [], []
    for chat_id, members in run.seeded.groups:
        chat = to_global_id("Chat", chat_id)
        watches += [Watch(run.tokens[member], chat) for member in members]
        sends.append((run.tokens[members[0]], chat))
    count = max(1, round(profile.chat_rate * profile.seconds))
    delivery = deliver(run, watches, sends, count, profile.chat_rate)
    figures = delivery.figures()
    passed = judged(profile, figures["p99_ms"] <= 50 and not figures["missing"])
    return delivery.result(_summary(delivery), figures, passed, late_is_loss=profile.quick)


def storm(run: Run) -> Result:
    """1,000 clients connect and subscribe at once, then 100 messages: each gets all 100."""
    profile = run.profile
    chat = run.chat("storm")
    watches = [Watch(token, chat) for token in run.readers(profile.storm_clients)]
    delivery = deliver(
        run, watches, [(run.token(0), chat)], profile.storm_messages, math.inf, at_once=True
    )
    figures = delivery.figures()
    tally = delivery.tally
    figures["all_received_after_s"] = tally.last_arrival - delivery.answers.first_sent
    summary = (
        f"{tally.subscribers} subscribed and live in {delivery.subscribe_seconds:.1f} s; "
        f"{tally.complete} of {tally.subscribers} got all {profile.storm_messages} "
        f"(the last {figures['all_received_after_s']:.1f} s after the first send), "
        f"p99 {ms(figures['p99_ms'])}"
    )
    passed = judged(profile, tally.complete == len(watches))
    return delivery.result(summary, figures, passed, late_is_loss=True)


def slow(run: Run) -> Result:
    """One subscriber stops reading for 60 s at its first measured message while messages
    flow: its queue on the server overflows and the server cuts it off with 1013 (before
    uvicorn's keepalive, 20 s ping + 20 s timeout, would close it with 1011); it resumes with
    `after` and gets everything; the other subscribers' p99 holds."""
    profile = run.profile
    chat = run.chat("slow")
    readers = run.readers(profile.slow_others + 1)
    watches = [Watch(token, chat) for token in readers[1:]]
    count = round(profile.slow_rate * profile.slow_pause)
    slow_fleet = Fleet(run.server.ws_url, [Watch(readers[0], chat, profile.slow_pause)], count, 1)
    try:
        slow_fleet.start()
        slow_fleet.wait("subscribed", READY_TIMEOUT)
        with httpx.Client(base_url=run.server.http_url, timeout=30) as http:
            slow_fleet.wait(
                "live", READY_TIMEOUT, meanwhile=lambda: probe(http, [(run.token(0), chat)])
            )
        # Its pause has begun; the others subscribe and the messages flow meanwhile.
        delivery = deliver(
            run,
            watches,
            [(run.token(0), chat)],
            count,
            profile.slow_rate,
            padding=profile.slow_content,
        )
        slowest = slow_fleet.finish(time.time() + profile.drain + profile.slow_pause)
    finally:
        slow_fleet.stop()
    figures = delivery.figures()
    figures["slow"] = {
        "closes": dict(slowest.closes),
        "resumes": slowest.resumes,
        "received_all": bool(slowest.complete),
        "missing": slowest.missing,
        "lost": slowest.gaps,
        "duplicates": slowest.duplicates,
    }
    cut_off = slowest.closes.get(TRY_AGAIN_LATER, 0) > 0
    summary = (
        f"the slow one: closed {dict(slowest.closes) or 'never'}, resumed {slowest.resumes}x, "
        f"{'got all' if slowest.complete else f'{slowest.missing} missing'}; the others "
        f"p50 {ms(figures['p50_ms'])}, p99 {ms(figures['p99_ms'])}, {figures['missing']} missing"
    )
    problems = [f"slow consumer: {p}" for p in delivery_problems(slowest, late_is_loss=True)]
    if not cut_off:
        how = f"closed only {dict(slowest.closes)}" if slowest.closes else "never closed"
        problems.append(f"the slow consumer was not cut off with 1013 ({how})")
    passed = cut_off and bool(slowest.complete) and figures["p99_ms"] <= 50
    result = delivery.result(summary, figures, judged(profile, passed), late_is_loss=profile.quick)
    result.problems += problems
    result.lost = (result.lost or 0) + lost(slowest, late_is_loss=True)
    result.internal += internal_errors(slowest.errors)
    return result
