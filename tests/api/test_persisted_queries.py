"""Automatic persisted queries (Apollo's APQ protocol) and trusted documents, over HTTP."""

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import Serve
from tests.backends import Backend
from tests.conftest import make_settings
from tests.graphql_client import GraphQLClient

QUERY = "{ me { id tag } }"
PROBE = "query Probe { __typename }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


async def post(client: GraphQLClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.http.post("/graphql", json=body, headers=headers)


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body.get("data") is None and len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


async def test_an_unknown_hash_asks_for_the_query_then_the_hash_alone_runs(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    auth = {"Authorization": f"Bearer {alice.access_token}"}

    response = await post(client, {"extensions": persisted(QUERY)}, **auth)
    assert response.status_code == 200, response.text
    error = only_error(response)
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    response = await post(client, {"query": QUERY, "extensions": persisted(QUERY)}, **auth)
    assert response.json() == {"data": {"me": {"id": alice.id, "tag": "alice"}}}

    response = await post(client, {"extensions": persisted(QUERY)}, **auth)
    assert response.json() == {"data": {"me": {"id": alice.id, "tag": "alice"}}}


async def test_a_query_that_is_not_its_hash_is_refused_and_not_kept(client: GraphQLClient) -> None:
    other = "{ __typename }"
    response = await post(client, {"query": other, "extensions": persisted(QUERY)})
    error = only_error(response)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "extensions.persistedQuery.sha256Hash",
    }
    again = only_error(await post(client, {"extensions": persisted(QUERY)}))
    assert again["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": sha256(QUERY)},
        {"version": 1},
        "abc",
        {"version": 1, "sha256Hash": 5},
    ],
)
async def test_a_malformed_persisted_query_is_bad_user_input(
    client: GraphQLClient, extension: object
) -> None:
    response = await post(client, {"extensions": {"persistedQuery": extension}})
    assert only_error(response)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_hashed_query_runs_over_get_as_json_even_for_any_accept(
    client: GraphQLClient,
) -> None:
    await post(client, {"query": PROBE, "extensions": persisted(PROBE)})
    params = {"extensions": json.dumps(persisted(PROBE)), "operationName": "Probe"}
    response = await client.http.get("/graphql", params=params, headers={"Accept": "*/*"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_unknown_hash_over_get_answers_json_not_graphiql(client: GraphQLClient) -> None:
    params = {"extensions": json.dumps(persisted(PROBE)), "variables": "{}"}
    response = await client.http.get(
        "/graphql", params=params, headers={"Accept": "text/html,*/*;q=0.8"}
    )
    assert response.status_code == 200
    assert only_error(response)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_persisted_mutation_never_runs_over_get(client: GraphQLClient) -> None:
    mutation = 'mutation { logout(refreshToken: "whatever") }'
    await post(client, {"query": mutation, "extensions": persisted(mutation)})
    params = {"extensions": json.dumps(persisted(mutation))}
    response = await client.http.get("/graphql", params=params)
    assert response.status_code in (400, 405), response.text
    assert "mutations are not allowed" in response.text


async def test_the_memory_store_keeps_only_the_most_recently_used(serve: Serve) -> None:
    async with serve(persisted_query_max_entries=2) as client:
        documents = [f"{{ a{n}: __typename }}" for n in range(3)]
        for document in documents:
            await post(client, {"query": document, "extensions": persisted(document)})
        first = await post(client, {"extensions": persisted(documents[0])})
        assert only_error(first)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        last = await post(client, {"extensions": persisted(documents[2])})
        assert last.json() == {"data": {"a2": "Query"}}


async def test_a_long_query_runs_but_is_not_kept(client: GraphQLClient) -> None:
    document = "{ __typename " + " " * 10_001 + "}"
    response = await post(client, {"query": document, "extensions": persisted(document)})
    assert response.json() == {"data": {"__typename": "Query"}}
    again = only_error(await post(client, {"extensions": persisted(document)}))
    assert again["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_every_process_shares_the_redis_store(backend: Backend, serve: Serve) -> None:
    if backend.name != "postgres":
        pytest.skip("the memory store is per process by design")
    namespace = f"test-{uuid.uuid4().hex}"
    async with serve(redis_namespace=namespace) as one, serve(redis_namespace=namespace) as two:
        await post(one, {"query": PROBE, "extensions": persisted(PROBE)})
        response = await post(two, {"extensions": persisted(PROBE)})
        assert response.json() == {"data": {"__typename": "Query"}}


# --- trusted documents ------------------------------------------------------------------------


def codegen_manifest(path: Path, *documents: str) -> Path:
    path.write_text(json.dumps({sha256(document): document for document in documents}))
    return path


def apollo_manifest(path: Path, *documents: str) -> Path:
    operations = [
        {"id": sha256(document), "name": "Op", "type": "query", "body": document}
        for document in documents
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


@pytest.mark.parametrize("write_manifest", [codegen_manifest, apollo_manifest])
async def test_only_trusted_documents_run(
    serve: Serve, tmp_path: Path, write_manifest: Callable[..., Path]
) -> None:
    manifest = write_manifest(tmp_path / "manifest.json", PROBE)
    async with serve(persisted_queries_only=True, persisted_queries_manifest=manifest) as client:
        response = await post(client, {"extensions": persisted(PROBE)})
        assert response.json() == {"data": {"__typename": "Query"}}

        other = "{ __typename }"
        unknown = await post(client, {"query": other, "extensions": persisted(other)})
        assert only_error(unknown)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

        raw = await post(client, {"query": other})
        assert only_error(raw)["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        # Refused before parsing: not even a syntax error is reported.
        garbage = await post(client, {"query": "{ {{ not graphql"})
        assert only_error(garbage)["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_a_manifest_that_cannot_be_read_refuses_to_start(
    backend: Backend, tmp_path: Path
) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text('{"format": "apollo-persisted-query-manifest", "version": 2}')
    with pytest.raises(ValueError, match="manifest"):
        make_settings(backend, tmp_path, persisted_queries_manifest=bad)
    with pytest.raises(ValueError, match="PERSISTED_QUERIES_MANIFEST"):
        make_settings(backend, tmp_path, persisted_queries_only=True)


async def test_a_manifest_alone_makes_its_documents_known_and_lets_others_run(
    serve: Serve, tmp_path: Path
) -> None:
    manifest = codegen_manifest(tmp_path / "persisted-documents.json", PROBE)
    async with serve(persisted_queries_manifest=manifest) as client:
        response = await post(client, {"extensions": persisted(PROBE)})
        assert response.json() == {"data": {"__typename": "Query"}}
        other = await post(client, {"query": "{ a: __typename }"})
        assert other.json() == {"data": {"a": "Query"}}
