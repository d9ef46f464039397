"""`python -m bench`: seed, start the server in production mode, run the scenarios, write
bench/results.md and bench/results.json. See bench/README.md."""

import argparse
import asyncio
import datetime
import os
import subprocess
import sys
import time
import traceback
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

from bench import procfs, report
from bench.backend import DEFAULT_POSTGRES, DEFAULT_REDIS, Backend, embedded, postgres_and_redis
from bench.profile import FULL, QUICK, Profile, with_seconds
from bench.scenarios import BY_NAME, SCENARIOS, Scenario
from bench.scenarios.context import Result, Run
from bench.scenarios.statements import settings_of
from bench.seed import seed
from bench.server import START_TIMEOUT, running_server
from resolvers.tokens import issue_access_token

RESULTS = Path(__file__).parent / "results.md"
QUIET_SHARE = 0.15  # the server counts as idle below this share of a core
SETTLE_TIMEOUT = 60.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--embedded", action="store_true", help="SQLite + in-memory broadcast")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no speed verdicts")
    parser.add_argument("--only", nargs="+", choices=list(BY_NAME), metavar="NAME")
    parser.add_argument(
        "--workers", type=int, help="server processes (default: `thespace serve`'s own)"
    )
    parser.add_argument("--seconds", type=float, help="how long sustained scenarios send")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server to create a db on")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results.md goes")
    parser.add_argument("--note", default="", help="a line of text for the top of results.md")
    return parser.parse_args(argv)


def _server_environment(backend: Backend, profile: Profile) -> dict[str, str]:
    environment = {
        **backend.environment,
        # What is measured is delivery and load, not the per-user send limit.
        "MESSAGE_RATE_LIMIT": "1000000/second",
        "ACCESS_TOKEN_TTL_SECONDS": str(24 * 3600),  # tokens minted once for the whole run
    }
    if profile.queue_size is not None:
        environment["SUBSCRIBER_QUEUE_SIZE"] = str(profile.queue_size)
    return environment


def _migrate(environment: dict[str, str]) -> None:
    """The real migrations, through the real command."""
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env={**os.environ, **environment}, check=True
    )


def _ready(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the server never became ready")
        time.sleep(0.2)


def _settle(pid: int) -> None:
    """Wait until the server is idle: what one scenario left queued is not the next's."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        before = procfs.cpu_seconds(pid)
        time.sleep(1)
        if procfs.cpu_seconds(pid) - before < QUIET_SHARE:
            return


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _scenario(run: Run, scenario: Scenario) -> dict[str, Any]:
    pid = run.server.pid
    _settle(pid)
    load = os.getloadavg()
    cpu, rss, started = procfs.cpu_seconds(pid), procfs.rss_kib(pid), time.monotonic()
    print(f"bench: {scenario.name} ...", file=sys.stderr, flush=True)
    try:
        result = scenario.run(run)
    except Exception as exc:  # a crash is a finding, reported with the rest
        traceback.print_exc()
        result = Result(f"crashed: {exc!r}", {}, False, [f"crashed: {exc!r}"])
    seconds = time.monotonic() - started
    if not _alive(pid):
        result.problems.append("the server process died")
    earlier = scenario.earlier
    if run.backend.embedded and scenario.earlier_embedded:
        earlier = scenario.earlier_embedded
    entry = {
        "name": scenario.name,
        "what": scenario.what,
        "target": scenario.target,
        "earlier": earlier,
        "summary": result.summary,
        "passed": result.passed,
        "problems": result.problems,
        "lost": result.lost,
        "internal": result.internal,
        "figures": result.figures,
        "load_average": load,
        "seconds": seconds,
        "server_cpu_share": (procfs.cpu_seconds(pid) - cpu) / seconds,
        "rss_kib_before": rss,
        "rss_kib_after": procfs.rss_kib(pid),
    }
    verdict = "problems: " + "; ".join(result.problems) if result.problems else result.summary
    print(f"bench: {scenario.name}: {verdict} ({seconds:.0f} s)", file=sys.stderr, flush=True)
    return entry


def _log_counts(log: Path) -> tuple[int, int]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("WARNING"), text.count("ERROR") + text.count("Traceback")


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, as a user runs it)
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()


def _backend(args: argparse.Namespace) -> AbstractContextManager[Backend]:
    return embedded() if args.embedded else postgres_and_redis(args.postgres, args.redis)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    profile = with_seconds(QUICK if args.quick else FULL, args.seconds)
    chosen = [s for s in SCENARIOS if args.only is None or s.name in args.only]
    serve_args = [] if args.workers is None else ["--workers", str(args.workers)]
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with _backend(args) as backend:
        environment = _server_environment(backend, profile)
        _migrate(environment)
        seeded = asyncio.run(seed(backend.database_url, profile))
        print(f"bench: seeded in {seeded.seconds:.1f} s", file=sys.stderr, flush=True)
        settings = settings_of(environment)
        tokens = {user: issue_access_token(settings, user) for user in seeded.users}
        log = backend.data_dir / "server.log"
        with running_server(environment, *serve_args, log=log) as server:
            _ready(server.http_url)
            run = Run(server, backend, seeded, profile, tokens, environment)
            processes = len(procfs.workers(server.pid))
            memory_start = procfs.rss_kib(server.pid), procfs.pss_kib(server.pid)
            entries = [_scenario(run, scenario) for scenario in chosen]
            memory_end = procfs.rss_kib(server.pid), procfs.pss_kib(server.pid)
        warnings, errors = _log_counts(log)
        if errors:
            print(log.read_text(errors="replace")[-5000:], file=sys.stderr)
    results = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "commit": _commit(),
        "started": started,
        "backend": backend.name,
        "profile": profile.name,
        "note": args.note,
        "server_processes": processes,
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "seed_seconds": seeded.seconds,
        # Summed over the server's worker processes.
        "rss_start_mib": memory_start[0] / 1024,
        "rss_end_mib": memory_end[0] / 1024,
        "pss_start_mib": memory_start[1] / 1024,
        "pss_end_mib": memory_end[1] / 1024,
        "log_warnings": warnings,
        "log_errors": errors,
        "scenarios": entries,
    }
    report.write(args.results, results)
    failed = [e["name"] for e in entries if e["problems"]]
    print(f"bench: wrote {args.results}", file=sys.stderr)
    if failed:
        print(f"bench: loss, errors or crashes in {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
