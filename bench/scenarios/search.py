"""searchMessages: two-word queries over a corpus of Zipf-distributed words, one client.

The corpus (bench/search_corpus.py) is seeded when the scenario starts, so that only runs
that take this scenario pay for it: 1,000,000 messages over 1,000 chats, the searcher in 50
of them, at full size. Queries pair words of every frequency band, half of them with the
last word cut short (a prefix, as while typing), and go one after another, each as soon as
the last was answered; every one must answer without errors.
"""

import asyncio
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from bench.scenarios.context import Result, Run, internal_errors, judged, ms, percentile
from bench.scenarios.statements import settings_of
from bench.search_corpus import Corpus, seed_corpus, vocabulary
from db.session import create_engine
from graphql_schema.ids import to_global_id
from resolvers.search import matching_ids, parse_query
from resolvers.tokens import issue_access_token

SEARCH = """query($q: String!) {
    searchMessages(query: $q, first: 20) {
        edges { cursor node { id content createdAt author { id tag } chat { id } } }
        pageInfo { hasNextPage endCursor }
    }
}"""
# Word ranks (0: the commonest) of each frequency band.
BANDS = {"common": (0, 10), "frequent": (10, 100), "middling": (100, 1000), "rare": (1000, 5000)}
WARM_UP = 20
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Sizes:
    messages: int
    chats: int
    searched: int  # the chats the searcher takes part in
    queries: int


FULL = Sizes(messages=1_000_000, chats=1_000, searched=50, queries=400)
QUICK = Sizes(messages=2_000, chats=20, searched=10, queries=40)


def queries(count: int) -> list[tuple[str, str]]:
    """(band pair, query) for `count` two-word queries, the same in every run."""
    rng = random.Random(7)  # noqa: S311 (the same queries every run, not a secret)
    words = vocabulary()
    names = list(BANDS)
    chosen = []
    for number in range(count):
        bands = rng.choice(names), rng.choice(names)
        first, second = (words[rng.randrange(*BANDS[band])] for band in bands)
        if number % 2:  # still typing the last word
            second = second[: max(3, len(second) - 2)]
        chosen.append(("+".join(sorted(bands)), f"{first} {second}"))
    return chosen


def search(run: Run) -> Result:
    sizes = QUICK if run.profile.quick else FULL
    authors = run.seeded.users[1:21]
    corpus = asyncio.run(
        seed_corpus(
            run.backend.database_url,
            authors,
            messages=sizes.messages,
            chats=sizes.chats,
            searched=sizes.searched,
        )
    )
    token = issue_access_token(settings_of(run.environment), corpus.searcher)
    readable = {to_global_id("Chat", chat) for chat in corpus.chats[: corpus.searched]}
    latencies: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    found: list[int] = []
    outside = 0
    with httpx.Client(base_url=run.server.http_url, timeout=30) as http:
        headers = {"Authorization": f"Bearer {token}"}
        planned = queries(WARM_UP + sizes.queries)
        for number, (band, query) in enumerate(planned):
            started = time.perf_counter()
            response = http.post(
                "/graphql", json={"query": SEARCH, "variables": {"q": query}}, headers=headers
            )
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json() if response.status_code == 200 else {}
            for error in body.get("errors") or [{"extensions": {"code": "NONE"}}]:
                if body.get("data") is None or body.get("errors"):
                    errors[error.get("extensions", {}).get("code", "NONE")] += 1
            if response.status_code != 200:
                errors[f"HTTP {response.status_code}"] += 1
                continue
            if number < WARM_UP or body.get("errors"):
                continue
            edges = body["data"]["searchMessages"]["edges"]
            outside += sum(edge["node"]["chat"]["id"] not in readable for edge in edges)
            latencies.setdefault(band, []).append(elapsed)
            found.append(len(edges))
    statement_ms = asyncio.run(
        _statement_alone(run.backend.database_url, corpus, [query for _, query in planned])
    )
    return _result(run, corpus, latencies, statement_ms, errors, found, outside)


async def _statement_alone(url: str, corpus: Corpus, planned: list[str]) -> list[float]:
    """Milliseconds of the search statement alone (resolvers.search.matching_ids, as the
    server runs it for the searcher's first page), for each query after the warm-up."""
    readable = corpus.chats[: corpus.searched]
    engine = create_engine(url)
    timings = []
    try:
        async with engine.connect() as connection:
            for number, query in enumerate(planned):
                statement = matching_ids(
                    connection.dialect.name, parse_query(query), readable, limit=21
                )
                started = time.perf_counter()
                await connection.execute(statement)
                if number >= WARM_UP:
                    timings.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return timings


def _result(
    run: Run,
    corpus: Corpus,
    latencies: dict[str, list[float]],
    statement_ms: list[float],
    errors: Counter[str],
    found: list[int],
    outside: int,
) -> Result:
    every = [value for values in latencies.values() for value in values]
    figures: dict[str, Any] = {
        "messages": corpus.messages,
        "chats": len(corpus.chats),
        "searched_chats": corpus.searched,
        "seed_seconds": corpus.seconds,
        "queries": len(every),
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "max_ms": max(every, default=float("nan")),
        "by_bands": {
            band: {
                "queries": len(values),
                "p50_ms": percentile(values, 0.5),
                "p99_ms": percentile(values, 0.99),
            }
            for band, values in sorted(latencies.items())
        },
        "statement_p50_ms": percentile(statement_ms, 0.5),
        "statement_p99_ms": percentile(statement_ms, 0.99),
        "mean_found": statistics.fmean(found) if found else 0.0,
        "empty_share": sum(n == 0 for n in found) / len(found) if found else 0.0,
        "full_pages_share": sum(n == 20 for n in found) / len(found) if found else 0.0,
        "errors": dict(errors),
    }
    problems = [f"{count} answers with {code}" for code, count in errors.items()]
    if outside:
        problems.append(f"{outside} results from chats the searcher is not in")
    summary = (
        f"{len(every)} queries over {corpus.messages:,} messages ({corpus.searched} of "
        f"{len(corpus.chats)} chats readable): p50 {ms(figures['p50_ms'])}, "
        f"p99 {ms(figures['p99_ms'])}, max {ms(figures['max_ms'])} (the search statement "
        f"alone: p50 {ms(figures['statement_p50_ms'])}, p99 {ms(figures['statement_p99_ms'])}); "
        f"{figures['empty_share']:.0%} found nothing, {figures['full_pages_share']:.0%} a full "
        f"page (corpus seeded in {corpus.seconds:.0f} s)"
    )
    passed = judged(run.profile, figures["p99_ms"] <= TARGET_P99_MS)
    return Result(summary, figures, passed, problems, internal=internal_errors(errors))
