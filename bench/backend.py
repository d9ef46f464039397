"""Where a benchmark run keeps its data: a fresh PostgreSQL database and Redis namespace
(dropped and deleted afterwards), or, embedded, a SQLite file and in-memory broadcast in a
temporary directory. Either way the server runs in production mode."""

import asyncio
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from redis import asyncio as redis

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Backend:
    name: str  # "postgres" or "sqlite"
    database_url: str  # as the server takes it (postgresql+asyncpg:// or sqlite+aiosqlite://)
    data_dir: Path
    environment: dict[str, str]  # the production settings the server runs with

    @property
    def embedded(self) -> bool:
        return self.name == "sqlite"


def _production(data_dir: Path, database_url: str, broadcast_url: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "BROADCAST_URL": broadcast_url,
        "REDIS_NAMESPACE": f"bench-{secrets.token_hex(6)}",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def embedded() -> Iterator[Backend]:
    with tempfile.TemporaryDirectory(prefix="thespace-bench-") as directory:
        data_dir = Path(directory)
        url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
        environment = _production(data_dir, url, "memory://")
        environment["ALLOW_SQLITE_IN_PRODUCTION"] = "true"
        yield Backend("sqlite", url, data_dir, environment)


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _delete_namespace(redis_url: str, namespace: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=f"{namespace}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


@contextmanager
def postgres_and_redis(admin_url: str, redis_url: str) -> Iterator[Backend]:
    """A database created on `admin_url`'s server for this run, dropped afterwards."""
    name = f"thespace_bench_{secrets.token_hex(6)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="thespace-bench-") as directory:
            base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
            url = f"{base}/{name}"
            environment = _production(Path(directory), url, redis_url)
            try:
                yield Backend("postgres", url, Path(directory), environment)
            finally:
                asyncio.run(_delete_namespace(redis_url, environment["REDIS_NAMESPACE"]))
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
