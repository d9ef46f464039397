"""Migration 0005 gives each refresh-token family alive at upgrade a session."""

from datetime import timedelta
from typing import Any

from alembic import command
from sqlalchemy import text

from db.base import utcnow
from db.migrate import alembic_config
from db.session import create_engine
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)


async def test_live_refresh_token_families_become_sessions(
    empty_database_url: str,  # noqa: F811
) -> None:
    engine = create_engine(empty_database_url)
    earlier, later = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)

    def at(revision: str) -> Any:
        return lambda connection: command.upgrade(alembic_config(connection), revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(at("0004"))
            await connection.execute(
                text(
                    "INSERT INTO users (id, email, tag, display_name, password_hash, "
                    "chosen_status, created_at) VALUES (1, 'a@x.io', 'a', 'A', '', 'ONLINE', :t)"
                ),
                {"t": earlier},
            )
            tokens = [
                ("live", "h1", earlier, None),
                ("live", "h2", later, None),
                ("gone", "h3", earlier, later),
            ]
            for family, digest, created, revoked in tokens:
                await connection.execute(
                    text(
                        "INSERT INTO refresh_tokens (user_id, family_id, token_hash, "
                        "created_at, expires_at, revoked_at) VALUES (1, :f, :h, :c, :e, :r)"
                    ),
                    {"f": family, "h": digest, "c": created, "e": utcnow(), "r": revoked},
                )
            await connection.run_sync(at("head"))
            rows = (
                await connection.execute(
                    text("SELECT user_id, family_id, ended_at, user_agent FROM sessions")
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "live", None, None)]
