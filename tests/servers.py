"""Real server processes for tests that need one (WebSocket clients, several processes)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from app.settings import Settings
from resolvers.rate_limits import Write
from tests.backends import Backend

STARTUP_TIMEOUT = 20  # seconds
SECRET = "server-test-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
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
        MESSAGE_RATE_LIMIT="1000/second",  # tests send bursts; the limit has tests of its own
        # Likewise for sockets opened and subscriptions started (tests/api/test_socket_limits.py).
        SOCKET_RATE_LIMIT="1000/second",
        REFUSED_REQUEST_RATE_LIMIT="1000/second",
        SUBSCRIPTION_RATE_LIMIT="1000/second",
    )
    environment.update({f"{action.upper()}_RATE_LIMIT": "1000/second" for action in Write})
    environment.update(env)  # may override the above, e.g. to share a REDIS_NAMESPACE
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *command],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for the workers' sake below
        )
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
