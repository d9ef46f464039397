"""GraphiQL in headless Chromium against a real server, with every other host blocked (as
offline): it renders, runs a query with the Headers editor's token, and runs a subscription
over the server's socket (tests/browser/graphiql.mjs drives the browser)."""

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Backend, unavailable
from tests.live import register, send
from tests.servers import LISTENING_LOGGER, Server, running_server

SCRIPT = Path(__file__).parent.parent / "browser" / "graphiql.mjs"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "chromium"
CREATE_SPACE = (
    'mutation { createSpace(input: {name: "Lounge", isPublic: true}) { channels { id } } }'
)
LISTENING = f"{LISTENING_LOGGER}: listening on "


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    if shutil.which(CHROMIUM) is None or shutil.which("node") is None:
        unavailable("Chromium and Node.js (for the browser tests)", FileNotFoundError(CHROMIUM))
    with running_server(backend, tmp_path) as running:
        yield running


async def graphiql(
    server: Server, query: str, headers: dict[str, str], expect: str
) -> asyncio.subprocess.Process:
    options = {
        "origin": server.http_url,
        "chromium": CHROMIUM,
        "query": query,
        "headers": headers,
        "expect": expect,
    }
    return await asyncio.create_subprocess_exec(
        "node", str(SCRIPT), json.dumps(options), stdout=asyncio.subprocess.PIPE
    )


async def outcome(browser: asyncio.subprocess.Process) -> dict[str, Any]:
    """What the script printed last, once it is done."""
    output, _ = await asyncio.wait_for(browser.communicate(), 60)
    assert browser.returncode == 0, output
    result: dict[str, Any] = json.loads(output.splitlines()[-1])
    assert result["outside"] == []  # nothing was asked of another host
    assert result["errors"] == []  # nor refused by the page's Content-Security-Policy
    return result


async def test_graphiql_runs_a_query_offline_with_the_headers_editors_token(
    server: Server,
) -> None:
    token, _ = register(server, "ada")
    headers = {"Authorization": f"Bearer {token}"}
    browser = await graphiql(server, "{ me { tag } }", headers, '"ada"')
    result = await outcome(browser)
    assert json.loads(result["result"]) == {"data": {"me": {"tag": "ada"}}}


async def test_graphiql_runs_a_subscription_signed_in_by_the_headers_editor(
    server: Server,
) -> None:
    token, _ = register(server, "ada")
    chat = server.graphql(CREATE_SPACE, token=token)["createSpace"]["channels"][0]["id"]
    query = (
        f'subscription {{ chatEvents(chatId: "{chat}") '
        "{ ... on MessageCreated { message { content } } } }"
    )
    # As the README shows it: GraphiQL sends the Headers editor's keys as they are.
    headers = {"Authorization": f"Bearer {token}"}
    listening = server.output().count(LISTENING)
    browser = await graphiql(server, query, headers, "hello from the API")
    assert browser.stdout is not None
    assert json.loads(await asyncio.wait_for(browser.stdout.readline(), 30)) == {"subscribed": True}
    async with asyncio.timeout(10):
        while server.output().count(LISTENING) == listening:  # noqa: ASYNC110 (a log to poll)
            await asyncio.sleep(0.05)
    send(server, token, chat, "hello from the API")
    result = await outcome(browser)
    init = next(message for message in result["sent"] if message["type"] == "connection_init")
    assert init["payload"] == headers
    assert json.loads(result["result"]) == {
        "data": {"chatEvents": {"message": {"content": "hello from the API"}}}
    }
