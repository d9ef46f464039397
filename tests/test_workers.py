"""`thespace serve --workers N`: several processes on one port acting as one server."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from app.workers import available_cores, process_count
from infra.settings import Settings
from tests.backends import Backend
from tests.live import (
    NEW_MESSAGES,
    closed_with,
    direct_chat,
    next_event,
    register,
    send,
    socket,
    start,
)
from tests.servers import Server, running_server

postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
SOCKETS = 16  # enough that both workers get some, fewer than a user may open per process
SHUTDOWN_TIMEOUT = 5  # seconds


def workers_of(server: Server) -> list[psutil.Process]:
    """The server's worker processes: its children that share the listening socket."""
    children = psutil.Process(server.process.pid).children()
    return [child for child in children if _listens_on(child, server.port)]


def _listens_on(process: psutil.Process, port: int) -> bool:
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in process.net_connections()
    )


def serving_pid(workers: list[psutil.Process], ws: Any) -> int:
    """Which worker holds the server end of the client socket `ws` (as the OS says)."""
    client_port = ws.local_address[1]
    for worker in workers:
        for connection in worker.net_connections():
            if connection.raddr and connection.raddr.port == client_port:
                return worker.pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


@asynccontextmanager
async def subscribed_sockets(server: Server, token: str, chat: str) -> AsyncIterator[list[Any]]:
    """SOCKETS sockets of one user, each subscribed to the chat's new messages."""
    async with AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(socket(server, token)) for _ in range(SOCKETS)]
        await asyncio.gather(*(start(ws, NEW_MESSAGES, {"chat": chat}) for ws in sockets))
        yield sockets


@postgres_only
async def test_two_workers_answer_on_one_port_and_hear_what_the_other_is_sent(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path, workers=2) as server:
        workers = workers_of(server)
        assert len(workers) == 2, server.output()
        alice, _ = register(server, "alice")
        bob, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with subscribed_sockets(server, bob, chat) as sockets:
            # The kernel hands each new connection to whichever worker accepts it first.
            pids = [serving_pid(workers, ws) for ws in sockets]
            assert set(pids) == {worker.pid for worker in workers}, pids
            # The send is handled by one of them: the subscribers on the other hear it
            # through Redis, as those on two separately started servers do.
            send(server, alice, chat, "to every worker")
            for ws in sockets:
                assert await next_event(ws, "chatEvents") == {
                    "message": {"content": "to every worker"}
                }


@postgres_only
async def test_sigterm_closes_every_worker_s_sockets_with_1001_and_ends_them_all(
    backend: Backend, tmp_path: Path
) -> None:
    env = {"SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT)}
    with running_server(backend, tmp_path, workers=2, **env) as server:
        workers = workers_of(server)
        alice, _ = register(server, "alice")
        _, bob_id = register(server, "bob")
        chat = direct_chat(server, alice, bob_id)
        async with subscribed_sockets(server, alice, chat) as sockets:
            assert len({serving_pid(workers, ws) for ws in sockets}) == 2
            started = time.monotonic()
            server.process.terminate()
            closes = await asyncio.gather(*(closed_with(ws, SHUTDOWN_TIMEOUT) for ws in sockets))
            assert set(closes) == {(1001, "Server shutting down")}
        try:
            exit_code = server.process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit in time:\n{server.output()}")
        assert time.monotonic() - started < SHUTDOWN_TIMEOUT, server.output()
        assert exit_code == 0, server.output()
        assert not any(worker.is_running() for worker in workers)
        assert server.output().count("Finished server process") == 2, server.output()
        assert "Traceback" not in server.output(), server.output()


# --- how many processes -----------------------------------------------------------------------

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/thespace"
REDIS = "redis://127.0.0.1:6379/0"


def settings_for(database_url: str, broadcast_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="development",
        database_url=database_url,
        broadcast_url=broadcast_url,
    )


def test_one_process_per_core_by_default_with_postgres_and_redis() -> None:
    assert process_count(settings_for(POSTGRES, REDIS), None, reload=False) == available_cores()
    assert process_count(settings_for(POSTGRES, REDIS), 3, reload=False) == 3


@pytest.mark.parametrize(
    ("database_url", "broadcast_url"),
    [(POSTGRES, "memory://"), ("sqlite+aiosqlite:///x.db", "memory://")],
)
def test_one_process_by_default_where_processes_cannot_act_as_one(
    database_url: str, broadcast_url: str
) -> None:
    assert process_count(settings_for(database_url, broadcast_url), None, reload=False) == 1
    assert process_count(settings_for(POSTGRES, REDIS), None, reload=True) == 1


@pytest.mark.parametrize(
    ("env", "args", "reason"),
    [
        ({}, ["--workers", "2"], "needs a Redis BROADCAST_URL"),
        ({"DATABASE_URL": POSTGRES}, ["--workers", "2"], "needs a Redis BROADCAST_URL"),
        ({"BROADCAST_URL": REDIS}, ["--workers", "2"], "needs PostgreSQL"),
        (
            {"DATABASE_URL": POSTGRES, "BROADCAST_URL": REDIS},
            ["--workers", "2", "--reload"],
            "--reload",
        ),
    ],
)
def test_more_workers_than_can_act_as_one_are_refused_at_start(
    tmp_path: Path, env: dict[str, str], args: list[str], reason: str
) -> None:
    environment = {"ENVIRONMENT": "development", "DATA_DIR": str(tmp_path / "data"), **env}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", *args],
        env={**_without_settings(), **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "refusing to start" in result.stderr and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing migrated, no key generated


def _without_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
