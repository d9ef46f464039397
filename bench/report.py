"""bench/results.md (one table: target, the issue's earlier figure, measured now, losses,
INTERNAL errors, pass/fail) and the raw figures as bench/results.json."""

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


def _load(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def _lost(entry: dict[str, Any]) -> str:
    return "—" if entry.get("lost") is None else str(entry["lost"])


def write(path: Path, run: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps(_clean(run), indent=2) + "\n")
    backend = "SQLite + memory (--embedded)" if run["backend"] == "sqlite" else "PostgreSQL + Redis"
    processes = run["server_processes"]
    lines = [
        "# Benchmark results",
        "",
        f"`{run['command']}` at commit `{run['commit']}`, {run['started']}: {backend}, server in "
        f"production mode ({processes} process{'es' if processes > 1 else ''}), profile "
        f"`{run['profile']}`. Machine: {run['cores']} cores, load average (1/5/15 min) "
        f"{_load(run['load_average_before'])} before and {_load(run['load_average_after'])} "
        f"after. Seeding took {run['seed_seconds']:.1f} s. Server memory (summed over its "
        f"worker processes) RSS {run['rss_start_mib']:.0f} MiB at the start, "
        f"{run['rss_end_mib']:.0f} MiB at the end (PSS {run['pss_start_mib']:.0f} and "
        f"{run['pss_end_mib']:.0f} MiB); server log: {run['log_warnings']} warnings, "
        f"{run['log_errors']} errors. Raw figures: `{path.with_suffix('.json').name}`.",
        "",
    ]
    if run.get("note"):
        lines += [f"Note: {run['note']}", ""]
    lines += [
        "| scenario | target (issue 11) | earlier (issue 11) | measured now | lost | INTERNAL "
        "| server CPU | load average at start | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for entry in run["scenarios"]:
        cpu = f"{entry['server_cpu_share']:.0%} of a core" if entry.get("seconds") else "—"
        lines.append(
            f"| **{entry['name']}**: {entry['what']} | {entry['target']} | {entry['earlier']} | "
            f"{entry['summary']} | {_lost(entry)} | {entry['internal']} | {cpu} | "
            f"{_load(entry['load_average'][:1])} | {_verdict(entry)} |"
        )
    lines.append("")
    path.write_text("\n".join(lines))
