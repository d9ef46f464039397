"""Alembic environment: runs on the connection db.migrate hands over."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

import db.models  # noqa: F401  (registers every table on the metadata)
from db.base import Base, UTCDateTime
from db.search_index import include_object


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our UTC column type as the plain DateTime it is stored as."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `thespace migrate` (db.migrate.upgrade_to_head)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
