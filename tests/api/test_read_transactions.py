"""Queries read without a transaction; mutations write in one; a dropped connection is
replaced rather than failing a request with a 500."""

from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, make_url
from starlette.applications import Starlette

import db.session
from tests.backends import Backend
from tests.factories import create_space
from tests.graphql_client import GraphQLClient

CHANNEL = "query($id: ID!) { space(id: $id) { channels { id } } }"
PAGE = """query($c: ID!) {
    messages(chatId: $c, last: 50) { edges { node { id author { tag } reactions { emoji } } } }
}"""
SEND = 'mutation($c: ID!) { sendMessage(input: {chatId: $c, content: "hi"}) { id } }'


def in_transaction(connection: Connection) -> bool:
    driver = connection.connection.driver_connection
    if isinstance(driver, asyncpg.Connection):
        return driver.is_in_transaction()
    return bool(driver.in_transaction)  # type: ignore[union-attr]


@pytest.fixture
def statements() -> Iterator[list[tuple[str, bool]]]:
    """Each statement any engine runs (its first word), and whether the driver's connection
    was inside a transaction just after it."""
    seen: list[tuple[str, bool]] = []

    def record(connection: Connection, _cursor: object, text: str, *_: object) -> None:
        seen.append((text.split(None, 1)[0].upper(), in_transaction(connection)))

    event.listen(Engine, "after_cursor_execute", record)
    yield seen
    event.remove(Engine, "after_cursor_execute", record)


async def test_a_query_reads_outside_any_transaction(
    client: GraphQLClient, statements: list[tuple[str, bool]]
) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    chat = (await client.data(CHANNEL, {"id": space}, token=alice.access_token))["space"]
    chat_id = chat["channels"][0]["id"]
    await client.data(SEND, {"c": chat_id}, token=alice.access_token)
    statements.clear()
    page = await client.data(PAGE, {"c": chat_id}, token=alice.access_token)
    assert len(page["messages"]["edges"]) == 1
    assert [kind for kind, _ in statements] == ["SELECT"] * len(statements)
    assert statements and not any(inside for _, inside in statements)


async def test_a_mutation_writes_inside_a_transaction(
    client: GraphQLClient, statements: list[tuple[str, bool]]
) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    chat = (await client.data(CHANNEL, {"id": space}, token=alice.access_token))["space"]
    statements.clear()
    await client.data(SEND, {"c": chat["channels"][0]["id"]}, token=alice.access_token)
    writes = [inside for kind, inside in statements if kind in ("INSERT", "UPDATE")]
    assert writes and all(writes)


async def _drop_server_connections(backend: Backend) -> None:
    url = make_url(backend.database_url).set(drivername="postgresql")
    admin = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()


async def test_a_connection_dropped_while_idle_is_pinged_and_replaced(
    client: GraphQLClient, app: Starlette, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.name != "postgres":
        pytest.skip("SQLite has no server to drop connections")
    alice = await client.register("alice")
    await _drop_server_connections(backend)  # as a database restart would
    monkeypatch.setattr(db.session, "IDLE_PING_SECONDS", 0.0)
    failed: list[object] = []
    engine = app.state.services.engine.sync_engine
    record = failed.append
    event.listen(engine, "handle_error", record)
    try:
        me = await client.data("{ me { tag } }", token=alice.access_token)
    finally:
        event.remove(engine, "handle_error", record)
    assert me == {"me": {"tag": "alice"}}
    assert failed == []  # replaced at check-out, before any statement


async def test_a_connection_dropped_since_its_last_use_is_replaced_by_authentication(
    client: GraphQLClient, backend: Backend
) -> None:
    if backend.name != "postgres":
        pytest.skip("SQLite has no server to drop connections")
    alice = await client.register("alice")
    await _drop_server_connections(backend)  # just now: the pool does not ping it
    for _ in range(2):  # the pool replaces it: neither request fails
        me = await client.data("{ me { tag } }", token=alice.access_token)
        assert me == {"me": {"tag": "alice"}}
