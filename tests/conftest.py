"""Shared fixtures: one suite, run on SQLite + memory and on PostgreSQL + Redis."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import event
from starlette.applications import Starlette

from app.main import create_app
from infra.rate_limits import Write
from infra.settings import Settings
from resolvers import passwords
from tests.backends import (
    REDIS_URL,
    Backend,
    PostgresTemplate,
    SqliteTemplate,
    redis_ping,
    unavailable,
)
from tests.graphql_client import GraphQLClient

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-use"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at production cost would dominate the suite; the parameters are tested apart."""
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    template = PostgresTemplate()
    yield template
    template.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, migrated database (and the matching broadcast URL) for one test."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_template").fresh(tmp_path)
        return
    template: PostgresTemplate = request.getfixturevalue("postgres_template")
    fresh, name = template.fresh()
    yield fresh
    template.give_back(name)


@pytest.fixture
def redis_required() -> None:
    """For tests that talk to Redis directly: skip locally, fail in CI, when it is down."""
    try:
        asyncio.run(redis_ping())
    except Exception as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)


def make_settings(backend: Backend, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "development",
        "database_url": backend.database_url,
        "broadcast_url": backend.broadcast_url,
        "secret_key": TEST_SECRET,
        "data_dir": data_dir,
        "public_base_url": "http://testserver",
        "auto_migrate": False,
        # Tests share one Redis: give each app its own keys (rate limits, channels).
        "redis_namespace": f"test-{uuid.uuid4().hex}",
        # Tests send bursts of messages to build pages; the limit has tests of its own.
        "message_rate_limit": "1000/second",
        # Tests build spaces, chats and roles in bursts too; each limit has a test of its own.
        **{f"{action}_rate_limit": "1000/second" for action in Write},
        # Likewise for sockets opened and subscriptions started.
        "socket_rate_limit": "1000/second",
        # Tests send bad requests on purpose, many from one address.
        "refused_request_rate_limit": "1000/second",
        "subscription_rate_limit": "1000/second",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> Settings:
    return make_settings(backend, tmp_path / "data")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


class StatementCounter:
    """Counts the SQL statements an engine runs while `counting` is on."""

    def __init__(self) -> None:
        self.count = 0
        self.counting = False

    def __call__(self, *args: object) -> None:
        if self.counting:
            self.count += 1


@pytest.fixture
def sql_statements(app: Starlette) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    engine = app.state.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)
