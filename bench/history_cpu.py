"""CPU per history page inside one process: a steadier figure than history_page's on a busy
machine, for comparing one build with another.

The application (production settings, SQLite + memory in a temporary directory unless
DATABASE_URL / BROADCAST_URL are set) answers through httpx's ASGI transport, with no
network and no other process; the page and its data are history_page's. Reports the
process's CPU milliseconds per page (the client's share included: the same in every build),
wall milliseconds per page one after the other, and the statements one page runs.

    .venv/bin/python -m bench.history_cpu [--pages 200]
"""

import argparse
import asyncio
import json
import os
import secrets
import tempfile
import time

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.main import create_app
from bench.history_page import PAGE, seed
from infra.settings import Settings

WARM_UP = 20


async def measure(pages: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            environment="production",
            allow_sqlite_in_production=True,
            secret_key=secrets.token_urlsafe(48),
            data_dir=directory,
            database_url=os.environ.get(
                "DATABASE_URL", f"sqlite+aiosqlite:///{directory}/thespace.db"
            ),
            broadcast_url=os.environ.get("BROADCAST_URL", "memory://"),
            redis_namespace=f"bench-{secrets.token_hex(4)}",
            message_rate_limit="1000/second",
            reaction_rate_limit="1000/second",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                chat, tokens = await seed(http)
                body = {"query": PAGE, "variables": {"c": chat}}
                headers = {"Authorization": f"Bearer {tokens[1]}"}
                for _ in range(WARM_UP):
                    answer = (await http.post("/graphql", json=body, headers=headers)).json()
                    assert "errors" not in answer, answer
                statements = 0

                def count(*_: object) -> None:
                    nonlocal statements
                    statements += 1

                event.listen(Engine, "before_cursor_execute", count)
                await http.post("/graphql", json=body, headers=headers)
                event.remove(Engine, "before_cursor_execute", count)
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(pages):
                    await http.post("/graphql", json=body, headers=headers)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "pages": pages,
        "cpu_ms_per_page": round(1000 * cpu / pages, 2),
        "wall_ms_per_page": round(1000 * wall / pages, 2),
        "statements_per_page": statements,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.pages)), indent=2))


if __name__ == "__main__":
    main()
