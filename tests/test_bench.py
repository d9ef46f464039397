"""`python -m bench --quick` runs every scenario end to end, on both backends: a smoke check
of the benchmark command itself. No speed is asserted here (bench/README.md)."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bench.scenarios import BY_NAME
from tests.backends import POSTGRES_URL, REDIS_URL, redis_ping, unavailable

ROOT = Path(__file__).parents[1]
RUN_TIMEOUT = 300  # seconds; about a minute on a quiet machine, over two at a load of 9
LIVE = {"single", "fanout-5", "fanout-10", "fanout-max", "chats", "storm", "slow"}


async def _postgres_ping() -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    await connection.close()


def _backend_arguments(backend: str) -> list[str]:
    if backend == "embedded":
        return ["--embedded"]
    for what, ping in ((f"Redis at {REDIS_URL}", redis_ping), (POSTGRES_URL, _postgres_ping)):
        try:
            asyncio.run(ping())
        except Exception as exc:
            unavailable(what, exc)
    return ["--postgres", POSTGRES_URL, "--redis", REDIS_URL]


def _quick_run(backend: str, results: Path) -> tuple[dict[str, Any], str]:
    """The run's results.json, and what it wrote to stderr (the server log's tail if it
    logged errors)."""
    command = [sys.executable, "-m", "bench", "--quick", "--results", str(results)]
    done = subprocess.run(
        [*command, *_backend_arguments(backend), "--note", "test_bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-6000:]
    run: dict[str, Any] = json.loads(results.with_suffix(".json").read_text())
    return run, done.stderr


@pytest.mark.timeout(RUN_TIMEOUT + 30)
@pytest.mark.parametrize("backend", ["embedded", "postgres"])
def test_quick_benchmark_runs_every_scenario_without_loss_or_internal_errors(
    backend: str, tmp_path: Path
) -> None:
    results = tmp_path / "results.md"
    run, stderr = _quick_run(backend, results)

    scenarios = {entry["name"]: entry for entry in run["scenarios"]}
    assert list(scenarios) == list(BY_NAME)
    for name, entry in scenarios.items():
        assert entry["problems"] == [], name
        assert entry["internal"] == 0, name
        assert entry["passed"] is None, name  # quick: no verdict on speed
        assert entry["lost"] == (0 if name in LIVE else None), name
    assert run["log_errors"] == 0, stderr[-6000:]

    slow = scenarios["slow"]["figures"]["slow"]
    # Cut off by its bounded queue (again, maybe, if what it missed came faster than it read
    # at first), then resumed with `after` and got everything.
    assert set(slow["closes"]) == {"1013"}
    assert slow["received_all"]

    table = results.read_text()
    assert "Note: test_bench" in table
    for name in BY_NAME:
        assert f"| **{name}**:" in table
