"""Memory per idle subscribed socket, whether it comes back after close, and whether
repeated rounds grow the server."""

import time

import httpx

from bench import procfs
from bench.fleet import Fleet, Watch
from bench.load import probe
from bench.scenarios.context import Result, Run, delivery_problems, internal_errors, judged
from bench.scenarios.fanout import READY_TIMEOUT

SETTLE = 3.0  # seconds for the server to release what closed sockets held


def memory(run: Run) -> Result:
    profile = run.profile
    chat = run.chat("memory")
    watches = [Watch(token, chat) for token in run.readers(profile.memory_sockets)]
    rounds = []
    problems: list[str] = []
    internal = 0
    for _ in range(profile.memory_cycles):
        before = procfs.rss_kib(run.server.pid)
        fleet = Fleet(run.server.ws_url, watches, 0, profile.processes)
        try:
            fleet.start()
            fleet.wait("subscribed", READY_TIMEOUT)
            with httpx.Client(base_url=run.server.http_url, timeout=30) as http:
                fleet.wait(
                    "live", READY_TIMEOUT, meanwhile=lambda: probe(http, [(run.token(0), chat)])
                )
            time.sleep(1)
            opened = procfs.rss_kib(run.server.pid)
            tally = fleet.finish(time.time())
        finally:
            fleet.stop()
        problems += delivery_problems(tally, late_is_loss=False)
        internal += internal_errors(tally.errors)
        time.sleep(SETTLE)
        closed = procfs.rss_kib(run.server.pid)
        rounds.append({"before_kib": before, "open_kib": opened, "closed_kib": closed})
    sockets = profile.memory_sockets
    per_socket = [(r["open_kib"] - r["before_kib"]) / sockets for r in rounds]
    kept = [(r["closed_kib"] - r["before_kib"]) / sockets for r in rounds]
    growth = (rounds[-1]["closed_kib"] - rounds[0]["closed_kib"]) / sockets
    figures = {
        "sockets": sockets,
        "rounds": rounds,
        "kib_per_socket": per_socket,
        "kib_kept_per_socket_after_close": kept,
        "growth_kib_per_socket_over_rounds": growth,
    }
    summary = (
        f"{max(per_socket):.0f} KB per idle subscribed socket "
        f"(rounds: {', '.join(f'{v:.0f}' for v in per_socket)}); after close "
        f"{', '.join(f'{v:.0f}' for v in kept)} KB per socket still held; "
        f"{growth:+.1f} KB per socket from the first round to the last"
    )
    passed = max(per_socket) <= 30 and max(kept) <= 3 and growth <= 1
    return Result(summary, figures, judged(profile, passed), problems, internal=internal)
