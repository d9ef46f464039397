"""Request limits through the API: no document stalls the server."""

import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.backends import Backend
from tests.graphql_client import GraphQLClient
from tests.servers import running_server


def doubling_fragments(levels: int) -> str:
    """`me { ...F0 }`, each fragment spreading the next one twice: 2**levels spreads of
    the last one, in a document of a few hundred bytes."""
    fragments = [f"fragment F{i} on User {{ id ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    last = f"fragment F{levels} on User {{ id }}"
    return "query { me { ...F0 } } " + " ".join([*fragments, last])


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


# --- documents that used to stall the process -------------------------------------------------


def test_thirty_levels_of_doubling_fragments_are_answered_at_once_while_healthz_answers(
    backend: Backend, tmp_path: Path
) -> None:
    with running_server(backend, tmp_path) as server:
        server.execute("{ __typename }")  # the first request warms the process up
        started = time.monotonic()
        server.execute("{ __typename }")
        trivial = time.monotonic() - started
        answer: dict[str, Any] = {}

        def post() -> None:
            started = time.monotonic()
            answer["body"] = server.execute(doubling_fragments(30))
            answer["seconds"] = time.monotonic() - started

        sender = threading.Thread(target=post)
        sender.start()
        while sender.is_alive():  # a stuck event loop would time these out
            assert httpx.get(f"{server.http_url}/healthz", timeout=1).status_code == 200
            time.sleep(0.05)
        sender.join()
        assert httpx.get(f"{server.http_url}/healthz", timeout=1).status_code == 200
    # Within a fraction of a second of a trivial request (which a busy machine slows too).
    assert answer["seconds"] < trivial + 0.5, (answer, trivial)
    assert "INTERNAL" not in codes(answer["body"])  # answered, refused or not


async def test_many_copies_of_one_field_are_refused_before_merging_them_gets_slow(
    client: GraphQLClient,
) -> None:
    # Checking that 400 copies can merge compares every pair: over a second of CPU.
    body = await client.execute("{ " + "me { id } " * 400 + "}")
    assert body.get("data") is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "aborted" in body["errors"][0]["message"]
