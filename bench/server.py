"""What the benchmarks share: a `thespace serve` process of their own, and API helpers."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

# Two PostgreSQL workers on a loaded machine have been seen to take half a minute to answer.
START_TIMEOUT = 60.0
REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"


@dataclass(frozen=True)
class Server:
    pid: int
    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def running_server(
    environment: Mapping[str, str], *serve_args: str, log: Path | None = None
) -> Iterator[Server]:
    """`thespace serve` on a free port: SQLite + memory in a temporary directory unless
    DATABASE_URL / BROADCAST_URL are set; `environment` adds or overrides settings,
    `serve_args` go to `thespace serve`, and its output goes to `log` if given."""
    port = free_port()
    with tempfile.TemporaryDirectory() as directory, _output(log) as output:
        env = {
            **os.environ,
            "ENVIRONMENT": "development",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATA_DIR": directory,
            "REDIS_NAMESPACE": f"bench-{secrets.token_hex(4)}",
            **environment,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *serve_args],
            env=env,
            stdout=output,
            stderr=output,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.1)
            yield Server(process.pid, port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # stuck (what bench.hostile looks for)
                process.kill()
                process.wait()


@contextmanager
def _output(log: Path | None) -> Iterator[IO[bytes] | int]:
    if log is None:
        yield subprocess.DEVNULL
        return
    with log.open("ab") as file:
        yield file


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str = "",
    client: str = "127.0.0.1",
) -> Any:
    # Each simulated user registers from an address of its own (a documentation range,
    # given through the trusted proxy header), as real users would: sign-up is rate-limited.
    headers = {"X-Forwarded-For": client}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def account(http: httpx.AsyncClient, tag: str, number: int = 0) -> str:
    """A new user's access token."""
    variables = {
        "i": {
            "email": f"{tag}@example.com",
            "password": "correct horse",
            "tag": tag,
            "displayName": tag,
        }
    }
    client = f"198.51.{number // 250}.{number % 250 + 1}"
    token: str = (await graphql(http, REGISTER, variables, client=client))["register"][
        "accessToken"
    ]
    return token
