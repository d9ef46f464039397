"""bench/results.md (one table: target, the issue's earlier figure, measured now, pass/fail)
and the raw figures as bench/results.json."""

import json
import math
from pathlib import Path
from typing import Any


def _verdict(entry: dict[str, Any]) -> str:
    if entry["problems"]:
        return "**FAIL** (" + "; ".join(entry["problems"][:3]) + ")"
    if entry["passed"] is None:
        return "not judged (quick)"
    return "pass" if entry["passed"] else "fail"


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write(path: Path, run: dict[str, Any]) -> None:
    path.with_suffix(".json").write_text(json.dumps(_clean(run), indent=2) + "\n")
    backend = "SQLite + memory (--embedded)" if run["backend"] == "sqlite" else "PostgreSQL + Redis"
    load_before, load_after = run["load_average_before"], run["load_average_after"]
    lines = [
        "# Benchmark results",
        "",
        f"`{run['command']}` at commit `{run['commit']}`, {run['started']}: {backend}, server in "
        f"production mode ({run['server_processes']}), profile `{run['profile']}`. "
        f"Machine: {run['cores']} cores, load average (1/5/15 min) "
        f"{' / '.join(f'{v:.2f}' for v in load_before)} before and "
        f"{' / '.join(f'{v:.2f}' for v in load_after)} after. Seeding took "
        f"{run['seed_seconds']:.1f} s; server memory {run['rss_start_mib']:.0f} MiB at the "
        f"start, {run['rss_end_mib']:.0f} MiB at the end; server log: "
        f"{run['log_warnings']} warnings, {run['log_errors']} errors. Raw figures: "
        "`results.json`.",
        "",
        "| scenario | target (issue 11) | earlier (issue 11) | measured now | server CPU | verdict"
        " |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in run["scenarios"]:
        earlier = entry["earlier"]
        cpu = f"{entry['server_cpu_share']:.0%} of a core" if entry.get("seconds") else "—"
        lines.append(
            f"| **{entry['name']}**: {entry['what']} | {entry['target']} | {earlier} | "
            f"{entry['summary']} | {cpu} | {_verdict(entry)} |"
        )
    lines.append("")
    path.write_text("\n".join(lines))
