"""What every scenario gets (the running server, the seeded data, tokens, the profile) and
gives back (figures, a one-line summary, pass/fail against its target, and problems: loss,
INTERNAL or a crash, which fail the run whatever the profile)."""

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.backend import Backend
from bench.fleet import Tally
from bench.load import Answers
from bench.profile import Profile
from bench.seed import Seeded
from bench.server import Server
from graphql_schema.ids import to_global_id
from infra.sockets import TRY_AGAIN_LATER


@dataclass(frozen=True)
class Run:
    server: Server
    backend: Backend
    seeded: Seeded
    profile: Profile
    tokens: dict[int, str]  # user id -> access token
    environment: dict[str, str]  # the server's settings

    def chat(self, name: str) -> str:
        return to_global_id("Chat", self.seeded.channels[name])

    def token(self, index: int) -> str:
        """The token of the index-th seeded user (0 owns the space)."""
        return self.tokens[self.seeded.users[index]]

    def readers(self, count: int) -> list[str]:
        return [self.token(n) for n in range(1, count + 1)]

    def senders(self, count: int) -> list[str]:
        return [self.token(len(self.seeded.users) - 1 - n) for n in range(count)]


@dataclass
class Result:
    summary: str
    figures: dict[str, Any]
    passed: bool | None  # against the target; None when not judged (the quick profile)
    problems: list[str] = field(default_factory=list)
    lost: int | None = None  # deliveries lost (None: the scenario delivers nothing live)
    internal: int = 0  # INTERNAL errors (and HTTP 5xx) the server answered


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def judged(profile: Profile, passed: bool) -> bool | None:
    return None if profile.quick else passed


def internal_errors(*counts: Counter[str]) -> int:
    """INTERNAL errors among error counts by code, with HTTP 5xx answers that had no
    GraphQL body."""
    return sum(
        count
        for counter in counts
        for code, count in counter.items()
        if code == "INTERNAL" or code.startswith("HTTP 5")
    )


def lost(tally: Tally, *, late_is_loss: bool) -> int:
    """Deliveries lost: missing below a later message a subscriber got, and, where every
    message should have arrived by the deadline (`late_is_loss`), the ones still missing."""
    return tally.missing if late_is_loss else tally.gaps


def delivery_problems(tally: Tally, *, late_is_loss: bool) -> list[str]:
    """Loss and errors among deliveries; messages still on their way at the deadline count
    as lost only where every message should have arrived (`late_is_loss`)."""
    problems = []
    if tally.gaps:
        problems.append(f"{tally.gaps} deliveries lost (a later message arrived)")
    if late_is_loss and tally.missing - tally.gaps:
        problems.append(f"{tally.missing - tally.gaps} deliveries never arrived")
    if tally.duplicates:
        problems.append(f"{tally.duplicates} duplicates")
    if tally.out_of_order:
        problems.append(f"{tally.out_of_order} out of order")
    for code, count in tally.errors.items():
        problems.append(f"{count} subscription errors {code}")
    for close, count in tally.closes.items():
        if close != TRY_AGAIN_LATER:  # 1013 is resumed from, and loses nothing if all arrive
            problems.append(f"{count} sockets closed with {close}")
    problems.extend(f"client failed: {failure}" for failure in tally.failures[:5])
    return problems


def answer_problems(answers: Answers, what: str) -> list[str]:
    problems = [f"{count} {what} answered {code}" for code, count in answers.errors.items()]
    if answers.wrong:
        problems.append(f"{answers.wrong} {what} answered without the expected page")
    return problems
