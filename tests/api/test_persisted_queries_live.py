"""Persisted queries over real WebSockets (both protocols): a hash stands for its query,
and with trusted documents only, nothing else runs."""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Backend
from tests.live import REGISTER, legacy_socket, listening, next_message, register, socket
from tests.servers import Server, running_server

TRUSTED = "query Me { me { tag } }"
MINE = "subscription Mine { myEvents { __typename } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    manifest = tmp_path / "persisted-documents.json"
    # `register` signs up with REGISTER over HTTP: a trusted document too.
    manifest.write_text(json.dumps({sha256(text): text for text in (TRUSTED, MINE, REGISTER)}))
    with running_server(
        backend,
        tmp_path,
        PERSISTED_QUERIES_ONLY="true",
        PERSISTED_QUERIES_MANIFEST=str(manifest),
    ) as running:
        yield running


def hashed(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


async def test_only_trusted_documents_run_over_graphql_transport_ws(server: Server) -> None:
    token, _ = register(server, "alice")
    async with socket(server, token) as ws:
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"extensions": hashed(TRUSTED)}})
        )
        assert await next_message(ws) == {
            "id": "1",
            "type": "next",
            "payload": {"data": {"me": {"tag": "alice"}}},
        }
        assert (await next_message(ws) or {})["type"] == "complete"

        # The trusted document's own text is that document too.
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": TRUSTED}}))
        assert (await next_message(ws) or {}).get("payload") == {"data": {"me": {"tag": "alice"}}}
        assert (await next_message(ws) or {})["type"] == "complete"

        other = "{ me { id } }"
        await ws.send(json.dumps({"id": "3", "type": "subscribe", "payload": {"query": other}}))
        refused = await next_message(ws)
        assert refused is not None and refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"

        # Not a persisted query at all: refused as a document sent as text.
        payload = {"query": other, "extensions": "nonsense"}
        await ws.send(json.dumps({"id": "5", "type": "subscribe", "payload": payload}))
        nonsense = await next_message(ws)
        assert nonsense is not None and nonsense["type"] == "error", nonsense
        assert nonsense["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"

        payload = {"query": other, "extensions": hashed(other)}
        await ws.send(json.dumps({"id": "4", "type": "subscribe", "payload": payload}))
        unknown = await next_message(ws)
        assert unknown is not None and unknown["type"] == "error", unknown
        assert unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_only_trusted_documents_run_over_legacy_graphql_ws(server: Server) -> None:
    token, _ = register(server, "alice")
    async with legacy_socket(server, token) as ws:
        await ws.send(
            json.dumps({"id": "1", "type": "start", "payload": {"query": "{ me { id } }"}})
        )
        refused = await next_message(ws)
        assert refused is not None and refused["type"] == "error", refused
        assert refused["payload"]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"

        async with listening(ws):  # the subscription its hash stands for
            start = {"id": "2", "type": "start", "payload": {"extensions": hashed(MINE)}}
            await ws.send(json.dumps(start))
        assert await next_message(ws, wait=0.5) is None


async def test_a_hash_stands_for_its_query_over_the_socket(
    backend: Backend, tmp_path: Path
) -> None:
    query = "query Tag { me { tag } }"
    with running_server(backend, tmp_path) as plain:
        token, _ = register(plain, "alice")
        async with socket(plain, token) as ws:
            only_hash = {"extensions": hashed(query)}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": only_hash}))
            unknown = await next_message(ws)
            assert unknown is not None and unknown["type"] == "error", unknown
            assert unknown["payload"][0]["message"] == "PersistedQueryNotFound"

            both = {"query": query, "extensions": hashed(query)}
            await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": both}))
            assert (await next_message(ws) or {}).get("payload") == {
                "data": {"me": {"tag": "alice"}}
            }
            assert (await next_message(ws) or {})["type"] == "complete"

            await ws.send(json.dumps({"id": "3", "type": "subscribe", "payload": only_hash}))
            assert (await next_message(ws) or {}).get("payload") == {
                "data": {"me": {"tag": "alice"}}
            }
