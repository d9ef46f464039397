"""SQL statements per history page, counted in-process.

The project's own application (`create_app` with the run's settings, the same database and
Redis) answers history pages through httpx's ASGI transport while SQLAlchemy's engine
events count what reaches the driver: each statement, and each transaction's BEGIN, COMMIT
and ROLLBACK (not on a connection in autocommit mode, where the driver sends none, nor on
SQLite, whose driver sends BEGIN only before a write: a read's BEGIN and ROLLBACK never
reach the database there); pool check-outs are counted apart.
"""

import asyncio
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

from app.main import create_app
from bench.scenarios.context import Result, Run, judged
from bench.scenarios.requests import HISTORY, PAGE
from infra.settings import Settings

WARM_UP = 3
AUTHENTICATION = 1  # the caller's user row


def settings_of(environment: dict[str, str]) -> Settings:
    """The settings `environment` gives, and nothing from this process's own environment."""
    return Settings.model_validate({key.lower(): value for key, value in environment.items()})


async def _count(run: Run, pages: int) -> Counter[str]:
    app = create_app(settings_of(run.environment))
    counts: Counter[str] = Counter()

    def statement(_c: Any, _cursor: Any, text: str, *_: Any) -> None:
        counts[text.split(None, 1)[0].upper()] += 1

    def transaction(kind: str) -> Any:
        def count(connection: Connection) -> None:
            options = connection.get_execution_options()
            sent = connection.dialect.name != "sqlite"
            if sent and options.get("isolation_level") != "AUTOCOMMIT":
                counts[kind] += 1

        return count

    hooks: list[tuple[Any, str, Any]] = [
        (Engine, "before_cursor_execute", statement),
        *((Engine, kind.lower(), transaction(kind)) for kind in ("BEGIN", "COMMIT", "ROLLBACK")),
        (Pool, "checkout", lambda *_: counts.update(["pool checkout"])),
    ]
    body = {"query": HISTORY, "variables": {"c": run.chat("history"), "before": None}}
    headers = {"Authorization": f"Bearer {run.token(1)}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for _ in range(WARM_UP):  # caches filled, pool connected
                await http.post("/graphql", json=body, headers=headers)
            for target, name, hook in hooks:
                event.listen(target, name, hook)
            try:
                for _ in range(pages):
                    answer = (await http.post("/graphql", json=body, headers=headers)).json()
                    if answer.get("errors") or len(answer["data"]["messages"]["edges"]) != PAGE:
                        raise RuntimeError(f"history page refused: {answer}")
            finally:
                for target, name, hook in hooks:
                    event.remove(target, name, hook)
    return counts


def statements(run: Run) -> Result:
    pages = run.profile.sql_pages
    counts = asyncio.run(_count(run, pages))
    per_page = {kind: count / pages for kind, count in sorted(counts.items())}
    checkouts = per_page.pop("pool checkout", 0.0)
    total = sum(per_page.values())
    listed = ", ".join(f"{count:g} {kind}" for kind, count in per_page.items())
    # Authentication reads the caller's row once (AUTHENTICATION), apart from the page: item
    # 4 asks for the page in 3 statements and for no second read of that row.
    page = total - AUTHENTICATION
    summary = (
        f"{total:g} per request ({AUTHENTICATION} authentication + {page:g} for the page): "
        f"{listed}; {checkouts:g} pool check-outs"
    )
    figures = {"per_page": per_page, "total": total, "page": page, "pool_checkouts": checkouts}
    return Result(summary, figures, judged(run.profile, page <= 3), [])
