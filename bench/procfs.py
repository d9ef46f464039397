"""The server's CPU time and memory, read from /proc.

The server may run worker processes (`thespace serve --workers N`): its CPU is the sum over
its whole process tree, its memory the sum over the workers (the supervisor that spawned
them only waits). The load generators are never part of that tree.
"""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree(root: int) -> list[int]:
    """`root` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of the tree so far (children that already ended included)."""
    total = 0
    for pid in tree(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        # utime, stime, cutime, cstime (fields 14-17 of proc(5); index 11 after the name)
        total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def workers(root: int) -> list[int]:
    """The processes that serve: with `--workers N`, the N workers the supervisor `root`
    spawned (not the supervisor, which only waits); otherwise `root` itself."""
    spawned = []
    for pid in tree(root)[1:]:
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--multiprocessing-fork" in arguments:  # multiprocessing's spawned children
            spawned.append(pid)
    return spawned or [root]


def _memory_field(path: str, name: str) -> int:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return 0  # ended while we looked
    return next((int(line.split()[1]) for line in lines if line.startswith(name)), 0)


def rss_kib(root: int) -> int:
    """Resident memory of the serving processes (VmRSS summed over the workers)."""
    return sum(_memory_field(f"/proc/{pid}/status", "VmRSS:") for pid in workers(root))


def pss_kib(root: int) -> int:
    """Proportional memory of the serving processes: what they share is counted once."""
    return sum(_memory_field(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in workers(root))
