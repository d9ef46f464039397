"""Where load generators run: processes forked from a multiprocessing fork server that
imported their modules once, so that each starts in moments however many a run needs, and
none shares anything with the server (started apart, by `thespace serve`) or with this
process's state."""

import multiprocessing
from collections.abc import Sequence
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess

PRELOAD = ["bench.fleet", "bench.load"]


def context() -> ForkServerContext:
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)  # read once, when the fork server starts
    return forkserver


def kill(processes: Sequence[BaseProcess]) -> None:
    """End whichever of `processes` still run (a timeout, a crash) and reap them all."""
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join()
