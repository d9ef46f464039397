"""Apollo Client and urql, set up as the README shows, against a real server on the embedded
default (tests/clients/apps): their normalized caches follow mutations, subscription events
and assignRole without refetching, Apollo merges history pages, round-trips automatic
persisted queries (by hash over GET) and uploads a file. The node script prints one line per
check and fails on any mismatch, and on any warning or error either library logs."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.backends import SqliteTemplate, unavailable
from tests.live import register, send
from tests.servers import Server, running_server

APPS = Path(__file__).parent.parent / "clients" / "apps"
CHECKS = {
    "ok apollo: relayStylePagination merges two messages pages",
    (
        "ok apollo: automatic persisted queries: not found, resent with the query, "
        "then by hash over GET"
    ),
    "ok apollo: editMessage updates the cached Message in place",
    "ok apollo: a chatEvents MessageUpdated updates the cached Message in place",
    "ok apollo: assignRole updates the cached member list",
    "ok apollo: sendMessage uploads an attachment through createUploadLink",
    "ok urql: editMessage updates the cached Message in place",
    "ok urql: a chatEvents MessageUpdated updates the cached Message in place",
    "ok urql: assignRole updates the cached member list",
}
SPACE = """mutation { createSpace(input: {name: "Front end", isPublic: true}) {
    id channels { id } } }"""
JOIN = "mutation($id: ID!) { joinSpace(spaceId: $id) { id } }"
ROLE = """mutation($space: ID!, $name: String!) {
    createRole(spaceId: $space, input: {name: $name}) { id } }"""
REACT = 'mutation($id: ID!) { addReaction(messageId: $id, emoji: "👍") { id } }'
CURSORS = "query($chat: ID!) { messages(chatId: $chat) { edges { cursor } } }"


def _installed() -> None:
    """The pinned client libraries, which `./dev test` installs (npm ci) from the lock file."""
    if shutil.which("node") is None:
        unavailable("Node.js", FileNotFoundError("node"))
    if not (APPS / "node_modules" / "@apollo" / "client").is_dir():
        unavailable(
            "the client libraries (`./dev test` installs them)",
            FileNotFoundError(APPS / "node_modules"),
        )


def world(server: Server) -> dict[str, Any]:
    """Alice owns a public space that Bob joined, with two roles to give Bob and five
    messages in its channel (the fourth Bob's; Bob reacted to the first, so the clients
    cache a ReactionGroup)."""
    alice, alice_id = register(server, "alice")
    bob, bob_id = register(server, "bob")
    space = server.graphql(SPACE, token=alice)["createSpace"]
    chat = space["channels"][0]["id"]
    server.graphql(JOIN, {"id": space["id"]}, bob)
    roles = {}
    for client, name in [("apollo", "Apollo users"), ("urql", "urql users")]:
        role = server.graphql(ROLE, {"space": space["id"], "name": name}, alice)["createRole"]
        roles[client] = {"id": role["id"], "name": name}
    tokens = {"alice": alice, "bob": bob}
    messages = []
    for number, author in enumerate(["alice", "alice", "alice", "bob", "alice"], 1):
        content = f"message {number} by {author}"
        message = send(server, tokens[author], chat, content)
        messages.append({"id": message, "content": content, "author": author})
    server.graphql(REACT, {"id": messages[0]["id"]}, bob)
    edges = server.graphql(CURSORS, {"chat": chat}, alice)["messages"]["edges"]
    return {
        "httpUrl": f"{server.http_url}/graphql",
        "wsUrl": server.ws_url,
        "spaceId": space["id"],
        "chatId": chat,
        "alice": {"id": alice_id, "token": alice},
        "bob": {"id": bob_id, "token": bob},
        "roles": roles,
        "messages": messages,
        "after": edges[-1]["cursor"],
    }


def test_apollo_client_and_urql_caches_follow_the_api(
    sqlite_template: SqliteTemplate, tmp_path: Path
) -> None:
    # The embedded default only: what the caches see does not depend on the backend, whose
    # behaviour the API tests check on both.
    _installed()
    with running_server(sqlite_template.fresh(tmp_path), tmp_path) as server:
        run = subprocess.run(
            ["node", "run.mjs", json.dumps(world(server))],
            cwd=APPS,
            env={**os.environ, "NODE_ENV": "development"},  # the caches warn only then
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert set(run.stdout.splitlines()) == CHECKS
