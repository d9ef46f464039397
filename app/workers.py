"""Several server processes on one port: the listening socket is bound here, once, and shared.

uvicorn's own `--workers` supervisor runs uvicorn's Server in each process, which would
close WebSockets with 1012 on shutdown before the application hears of it (see app.server);
this one runs ours. SIGTERM or SIGINT is passed on to every worker as SIGTERM, each of which
then shuts down gracefully within the shutdown timeout. A worker that ends on its own (it
could not start, or it crashed) stops the others and the command exits non-zero, so that
the service manager restarts the server whole rather than run it a process short.
"""

import logging
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Sequence
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

from app.server import STARTUP_FAILURE, Server
from infra.broadcast import is_redis_url
from infra.request_id import configure_logging
from infra.settings import Settings, SettingsError

logger = logging.getLogger(__name__)


def process_count(settings: Settings, requested: int | None, reload: bool) -> int:
    """How many processes `serve` runs: `requested`, else one per core where processes act
    as one (a Redis BROADCAST_URL and PostgreSQL), else one. SettingsError for more than
    one where they cannot."""
    shared = is_redis_url(settings.broadcast_url) and not settings.on_sqlite
    if requested is None:
        return available_cores() if shared and not reload else 1
    if requested > 1 and reload:
        raise SettingsError("--reload runs one process; leave out --workers")
    if requested > 1 and not is_redis_url(settings.broadcast_url):
        raise SettingsError(
            f"--workers {requested} needs a Redis BROADCAST_URL: the in-memory broadcast "
            "reaches only its own process, so a subscriber on one would miss what is sent "
            "through another"
        )
    if requested > 1 and settings.on_sqlite:
        raise SettingsError(
            f"--workers {requested} needs PostgreSQL: SQLite takes writes one at a time "
            "from a single process"
        )
    return requested


def available_cores() -> int:
    """The cores this process may run on (its affinity, which containers and taskset set)."""
    return len(os.sched_getaffinity(0))


def run_workers(config: uvicorn.Config, count: int, log_level: str) -> int:
    """Serve `config` from `count` processes until signalled; the exit code."""
    listening = config.bind_socket()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing half-made
    workers = [
        context.Process(target=_work, args=(config, listening, log_level), name=f"worker-{n}")
        for n in range(count)
    ]
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        _terminate(workers)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    for worker in workers:
        worker.start()
    logger.info("serving from %d processes: %s", count, ", ".join(str(w.pid) for w in workers))
    running = list(workers)
    failed = False
    while running:
        wait([worker.sentinel for worker in running])
        for worker in [w for w in running if w.exitcode is not None]:
            running.remove(worker)
            if not stopping:
                logger.error(
                    "worker %s ended (exit code %s); stopping", worker.pid, worker.exitcode
                )
                failed = stopping = True
                _terminate(running)
    listening.close()
    return STARTUP_FAILURE if failed else 0


def _terminate(workers: Sequence[BaseProcess]) -> None:
    for worker in workers:
        if worker.pid is not None and worker.exitcode is None:
            os.kill(worker.pid, signal.SIGTERM)


def _work(config: uvicorn.Config, listening: socket.socket, log_level: str) -> None:
    """One worker process: our server on the shared socket."""
    configure_logging(log_level)
    server = Server(config)
    server.run(sockets=[listening])
    if not server.started:
        sys.exit(STARTUP_FAILURE)
