"""Real server processes for tests that need one (WebSocket clients, several processes).

Each is `thespace serve` in a process of its own, forked from a multiprocessing fork
server that has imported the server's modules once: a server then starts in a fraction of
a second instead of the seconds its imports take, which a couple of hundred tests would pay.
"""

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx

from infra.rate_limits import Write
from infra.settings import Settings
from tests.backends import Backend

STARTUP_TIMEOUT = 20  # seconds
# Logs a line, at DEBUG, when a subscription is listening (tests.live.listening waits for it).
LISTENING_LOGGER = "graphql_schema.context"
SECRET = "server-test-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# Imported once by the fork server; never anything that reads settings or opens a
# connection at import (app.asgi builds the application from the environment: the
# server process imports it itself).
PRELOAD = ["app.cli", "app.main", "app.server", "app.workers", "tests.servers"]
_forking = multiprocessing.get_context("forkserver")
_forking.set_forkserver_preload(PRELOAD)


class ServerProcess:
    """The parts of `subprocess.Popen` the tests use, for a process started by the fork
    server (so `returncode` is its exit code, or minus the signal that ended it)."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired("thespace serve", timeout or 0)
        return self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


def _serve(arguments: list[str], environment: dict[str, str], log: str) -> None:
    """The server process: `thespace serve` with exactly `environment`, output to `log`,
    in a process group of its own (for its workers' sake, see running_server)."""
    os.setsid()
    sink = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.close(sink)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    os.environ.clear()
    os.environ.update(environment)
    from app.cli import main

    code = main(arguments)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


class Server:
    def __init__(self, process: ServerProcess, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log
        self.http_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def execute(self, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        """The whole response body of a GraphQL request over real HTTP."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.http_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=10,
        )
        return response.json()

    def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        """`data`, failing the test on any error."""
        body = self.execute(query, variables, token)
        assert not body.get("errors"), json.dumps(body["errors"])
        return body["data"]


@contextmanager
def running_server(
    backend: Backend, directory: Path, workers: int = 1, **env: str
) -> Iterator[Server]:
    """`thespace serve --workers N` on a fresh port against `backend`; stopped however the
    test ends (its workers too)."""
    port = free_port()
    log = directory / f"server-{port}.log"
    environment = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    environment.update(
        PYTHONUNBUFFERED="1",
        ENVIRONMENT="development",
        SECRET_KEY=SECRET,
        DATA_DIR=str(directory / f"data-{port}"),
        DATABASE_URL=backend.database_url,
        BROADCAST_URL=backend.broadcast_url,
        REDIS_NAMESPACE=f"test-{uuid.uuid4().hex}",
        AUTO_MIGRATE="false",
        LOG_LEVEL=f"INFO,{LISTENING_LOGGER}=DEBUG",
        MESSAGE_RATE_LIMIT="1000/second",  # tests send bursts; the limit has tests of its own
        # Likewise for sockets opened and subscriptions started (tests/api/test_socket_limits.py).
        SOCKET_RATE_LIMIT="1000/second",
        REFUSED_REQUEST_RATE_LIMIT="1000/second",
        SUBSCRIPTION_RATE_LIMIT="1000/second",
    )
    environment.update({f"{action.upper()}_RATE_LIMIT": "1000/second" for action in Write})
    environment.update(env)  # may override the above, e.g. to share a REDIS_NAMESPACE
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    log.touch()
    forked = _forking.Process(target=_serve, args=(command, environment, str(log)))
    forked.start()
    process = ServerProcess(forked)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.output()}")
            try:
                if httpx.get(f"{server.http_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # workers outlive a killed parent
            process.wait()
