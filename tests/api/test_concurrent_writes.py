"""Many writes at once against a real server: every one answered, none refused by a lock.

On SQLite they take turns on one writing connection (db.session); before that, a write
that waited too long for SQLite's lock failed with "database is locked" (INTERNAL).
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from tests.backends import Backend
from tests.live import register, send
from tests.servers import Server, running_server

USERS = 10
MESSAGES_EACH = 6  # 60 concurrent sendMessage, besides the other writes below
SPACE = 'mutation { createSpace(input: {name: "Hall", isPublic: true}) { id channels { id } } }'
JOIN = "mutation($id: ID!) { joinSpace(spaceId: $id) { id } }"
SEND = """mutation($chat: ID!, $content: String!) {
    sendMessage(input: {chatId: $chat, content: $content}) { id }
}"""
EDIT = "mutation($id: ID!, $content: String!) { editMessage(id: $id, content: $content) { id } }"
REACT = "mutation($id: ID!, $emoji: String!) { addReaction(messageId: $id, emoji: $emoji) { id } }"
READ = "mutation($chat: ID!) { markChatRead(chatId: $chat) { id } }"
HEARTBEAT = "mutation { heartbeat }"
AWAY = "mutation { setStatus(status: AWAY) { id } }"
HISTORY = """query($chat: ID!) {
    messages(chatId: $chat, last: 100) { edges { node { content reactions { count } } } }
}"""


async def post(
    http: httpx.AsyncClient, server: Server, query: str, token: str, **variables: str
) -> dict[str, Any]:
    response = await http.post(
        f"{server.http_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_concurrent_sends_and_other_writes_all_succeed(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path) as server:
        tokens = [register(server, f"user{n}")[0] for n in range(USERS)]
        created = server.graphql(SPACE, token=tokens[0])["createSpace"]
        chat = created["channels"][0]["id"]
        for token in tokens[1:]:
            server.graphql(JOIN, {"id": created["id"]}, token)
        # One earlier message of each user's, to edit and react to while the sends go on.
        own = [send(server, token, chat, "earlier") for token in tokens]

        writes = [
            (SEND, token, {"chat": chat, "content": f"{n}-{m}"})
            for n, token in enumerate(tokens)
            for m in range(MESSAGES_EACH)
        ]
        for n, token in enumerate(tokens):
            writes += [
                (EDIT, token, {"id": own[n], "content": "edited"}),
                (REACT, token, {"id": own[(n + 1) % USERS], "emoji": "👍"}),
                (READ, token, {"chat": chat}),
                (HEARTBEAT, token, {}),
                (AWAY, token, {}),
            ]
        limits = httpx.Limits(max_connections=len(writes))
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            answers = await asyncio.gather(
                *(
                    post(http, server, query, token, **variables)
                    for query, token, variables in writes
                )
            )

        failed = [answer for answer in answers if answer.get("errors")]
        assert not failed, json.dumps(failed[:3])
        assert "database is locked" not in server.output()
        page = server.graphql(HISTORY, {"chat": chat}, tokens[0])["messages"]["edges"]
        contents = [edge["node"]["content"] for edge in page]
        assert sorted(contents) == sorted(
            ["edited"] * USERS + [f"{n}-{m}" for n in range(USERS) for m in range(MESSAGES_EACH)]
        )
        assert sum(sum(r["count"] for r in edge["node"]["reactions"]) for edge in page) == USERS
