"""`thespace serve | migrate | export-schema | make-migration`."""

import argparse
import asyncio
import os
import sys
from pathlib import Path

from infra.settings import Settings, SettingsError, load_settings

DEFAULT_SCHEMA_PATH = Path("schema.graphql")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="thespace", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (applies pending migrations)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--workers",
        type=_positive,
        help="server processes (default: one per core with a Redis BROADCAST_URL and "
        "PostgreSQL, else one)",
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", type=Path, default=DEFAULT_SCHEMA_PATH)
    revision = commands.add_parser("make-migration", help="autogenerate a migration revision")
    revision.add_argument("message")
    args = parser.parse_args(argv)

    if args.command == "export-schema":
        from graphql_schema.schema import export_sdl

        args.output.write_text(export_sdl())
        return 0
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"thespace: refusing to start: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.reload, args.workers)
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    asyncio.run(_make_migration(settings, args.message))
    return 0


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _serve(settings: Settings, host: str, port: int, reload: bool, workers: int | None) -> int:
    from app import server
    from app.workers import process_count, run_workers
    from infra.request_id import configure_logging

    try:
        count = process_count(settings, workers, reload)
    except SettingsError as exc:
        print(f"thespace: refusing to start: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    configure_logging(settings.log_level)
    config = server.config(
        host,
        port,
        reload,
        settings.shutdown_timeout_seconds,
        compression=settings.websocket_compression,
        ping_interval=settings.websocket_ping_interval_seconds,
        ping_timeout=settings.websocket_ping_timeout_seconds,
    )
    if count == 1:
        return server.serve(config)
    if settings.auto_migrate:  # once, before any worker starts, rather than by each
        asyncio.run(_migrate(settings))
        os.environ["AUTO_MIGRATE"] = "false"  # the workers read their settings anew
    return run_workers(config, count, settings.log_level)


async def _migrate(settings: Settings) -> None:
    from db.migrate import upgrade_to_head
    from db.session import create_engine

    engine = create_engine(settings.database_url_resolved)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def _make_migration(settings: Settings, message: str) -> None:
    from alembic import command

    from db.migrate import MIGRATIONS_DIR, alembic_config
    from db.session import create_engine

    # Revisions are numbered in order (0001, 0002, ...), so the history reads top to bottom.
    revision_id = f"{len(list((MIGRATIONS_DIR / 'versions').glob('[0-9]*.py'))) + 1:04d}"
    engine = create_engine(settings.database_url_resolved)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(
                lambda sync: command.revision(
                    alembic_config(sync), message=message, autogenerate=True, rev_id=revision_id
                )
            )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
