"""`thespace` as real processes: export-schema, migrate, and serve refusing or serving."""

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis import Redis

import db.models  # noqa: F401  (registers every table on the metadata)
from db.base import Base
from db.search_index import SEARCH_TABLE
from graphql_schema.schema import export_sdl
from infra.settings import Settings
from tests.backends import (
    POSTGRES_URL,
    REDIS_URL,
    asyncpg_url,
    database_url_for,
    unavailable,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKED_IN_SCHEMA = REPO_ROOT / "schema.graphql"
SCRIPT = Path(sys.executable).parent / "thespace"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "app.cli"]
COMMAND_TIMEOUT = 60  # seconds, for commands that should finish on their own
STARTUP_TIMEOUT = 30  # seconds, for `serve` to answer /healthz (a busy machine is slow)
EXPECTED_TABLES = set(Base.metadata.tables) | {"alembic_version"}
REGISTER = """mutation($input: RegisterInput!) {
    register(input: $input) { accessToken user { tag } }
}"""


def cli_env(**overrides: str) -> dict[str, str]:
    """The current environment without any setting of The Space, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def thespace(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _postgres(statement: str, database: str | None = None) -> list[asyncpg.Record]:
    url = database_url_for(database) if database else POSTGRES_URL
    connection = await asyncpg.connect(url, timeout=5)
    try:
        return await connection.fetch(statement)
    finally:
        await connection.close()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """The name of a brand-new, empty PostgreSQL database."""
    name = f"thespace_cli_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable(f"PostgreSQL at {POSTGRES_URL}", exc)
    yield name
    asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_tables(name: str) -> set[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {row["tablename"] for row in asyncio.run(_postgres(query, name))}


# --- export-schema ----------------------------------------------------------------------------


def test_checked_in_schema_matches_the_code() -> None:
    assert CHECKED_IN_SCHEMA.read_text() == export_sdl(), (
        "schema.graphql is out of date with the GraphQL types: run `thespace export-schema` "
        "and commit the result"
    )


def test_export_schema_writes_the_checked_in_schema(tmp_path: Path) -> None:
    output = tmp_path / "out" / "schema.graphql"
    output.parent.mkdir()
    result = thespace("export-schema", "--output", str(output), cwd=tmp_path, env=cli_env())
    assert result.returncode == 0, result.stderr
    assert output.read_text() == CHECKED_IN_SCHEMA.read_text()


# --- serve refuses an unsafe production configuration -----------------------------------------


def test_serve_in_production_without_secret_key_exits_with_a_clear_message(
    tmp_path: Path,
) -> None:
    env = cli_env(ENVIRONMENT="production", DATA_DIR=str(tmp_path / "data"))
    started = time.monotonic()
    result = thespace("serve", "--port", str(free_port()), cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert time.monotonic() - started < 20
    assert "SECRET_KEY" in result.stderr
    assert "refusing to start" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing generated, nothing migrated


# --- migrate ----------------------------------------------------------------------------------


def test_migrate_creates_the_tables_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = cli_env(ENVIRONMENT="development", DATA_DIR=str(data_dir))
    result = thespace("migrate", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr

    with sqlite3.connect(data_dir / "thespace.db") as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in rows}
    # SQLite also has the search index's FTS5 table, with the shadow tables FTS5 makes.
    fts = {"", "_data", "_idx", "_docsize", "_config"}
    assert tables == EXPECTED_TABLES | {f"{SEARCH_TABLE}{suffix}" for suffix in fts}


def test_two_migrate_processes_at_once_on_fresh_postgres_both_succeed(
    tmp_path: Path, postgres_database: str
) -> None:
    env = cli_env(
        ENVIRONMENT="development",
        DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=asyncpg_url(database_url_for(postgres_database)),
    )
    processes = [
        subprocess.Popen(
            [*COMMAND, "migrate"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        outcomes = [(p.communicate(timeout=COMMAND_TIMEOUT)[1], p.returncode) for p in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    for stderr, returncode in outcomes:
        assert returncode == 0, stderr
    assert postgres_tables(postgres_database) == EXPECTED_TABLES


# --- serve ------------------------------------------------------------------------------------


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start `thespace serve` with extra environment; wait for /healthz; always stop it."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env_overrides: str) -> Server:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        env = cli_env(ENVIRONMENT="development", DATA_DIR=str(tmp_path / "data"), **env_overrides)
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*COMMAND, "serve", "--port", str(port)],
                cwd=tmp_path,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        server = Server(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited early:\n{server.output()}"
            try:
                if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"serve did not answer /healthz in {STARTUP_TIMEOUT} s:\n{server.output()}")

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def register_over_http(server: Server, tag: str) -> None:
    variables = {
        "input": {
            "email": f"{tag}@example.com",
            "password": "correct horse battery",
            "tag": tag,
            "displayName": tag,
        }
    }
    response = httpx.post(
        f"{server.base_url}/graphql", json={"query": REGISTER, "variables": variables}, timeout=10
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, f"{body}\n{server.output()}"
    assert body["data"]["register"]["user"] == {"tag": tag}
    assert body["data"]["register"]["accessToken"]


def test_serve_in_development_migrates_a_fresh_data_dir_and_serves(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    assert (tmp_path / "data" / "thespace.db").exists()
    assert (tmp_path / "data" / "dev-secret-key").exists()
    register_over_http(server, "alice")
    ready = httpx.get(f"{server.base_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text


def test_serve_against_postgres_and_redis_is_ready_and_serves(
    start_server: StartServer, postgres_database: str
) -> None:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)
    server = start_server(
        DATABASE_URL=asyncpg_url(database_url_for(postgres_database)),
        BROADCAST_URL=REDIS_URL,
    )
    ready = httpx.get(f"{server.base_url}/readyz", timeout=10)
    assert ready.status_code == 200, f"{ready.text}\n{server.output()}"
    assert ready.json()["checks"] == {"database": True, "broadcast": True}
    register_over_http(server, "bob")
    assert postgres_tables(postgres_database) == EXPECTED_TABLES
