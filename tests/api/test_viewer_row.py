"""The signed-in user's row is read once per request: authentication's load serves every
field that shows the viewer."""

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from tests.factories import create_space
from tests.graphql_client import GraphQLClient

VIEWER_EVERYWHERE = """query($me: ID!, $space: ID!) {
    me { tag }
    user(id: $me) { tag displayName }
    space(id: $space) { owner { tag } }
}"""


@pytest.fixture
def user_loads(app: Starlette) -> Iterator[list[str]]:
    """The statements that read the users table."""
    seen: list[str] = []

    def record(_connection: object, _cursor: object, text: str, *_: object) -> None:
        if text.lstrip().upper().startswith("SELECT") and "FROM users" in text:
            seen.append(text)

    engine = app.state.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


async def test_the_viewer_row_is_loaded_once_per_request(
    client: GraphQLClient, user_loads: list[str]
) -> None:
    alice = await client.register("alice")
    space = await create_space(client, alice, public=True)
    user_loads.clear()
    data = await client.data(
        VIEWER_EVERYWHERE, {"me": alice.id, "space": space}, token=alice.access_token
    )
    assert data["user"]["tag"] == data["space"]["owner"]["tag"] == "alice"
    assert len(user_loads) == 1, user_loads  # authentication's
