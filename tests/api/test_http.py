"""The HTTP surface: health checks, GraphQL over GET/POST, errors, request ids, body limits."""

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.body_limit import JSON_BODY_LIMIT
from app.main import create_app
from app.services import Services
from graphql_schema.schema import MAX_DEPTH
from infra.frames import json_bytes
from resolvers import profiles
from tests.api.conftest import Serve
from tests.backends import Backend
from tests.conftest import make_settings
from tests.graphql_client import GraphQLClient

CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
SEARCH = '{ searchUsers(query: "a") { id } }'


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


# --- health -----------------------------------------------------------------------------------


async def test_healthz_answers_ok(client: GraphQLClient) -> None:
    response = await client.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_every_backing_service_ready(client: GraphQLClient) -> None:
    response = await client.http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": True, "broadcast": True}}


async def test_readyz_answers_503_naming_an_unreachable_broadcast(
    backend: Backend, tmp_path: Path
) -> None:
    # The lifespan would fail connecting the broadcast, so the app is served without it:
    # /readyz only needs the engine and the URL, both live without the lifespan.
    settings = make_settings(backend, tmp_path / "data", broadcast_url=CLOSED_REDIS_URL)
    application = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/readyz")
    finally:
        await application.state.services.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "broadcast": False},
    }


async def test_readiness_reports_an_unreachable_database(tmp_path: Path) -> None:
    closed = Backend("postgres", "postgresql+asyncpg://postgres@127.0.0.1:1/none", "memory://")
    services = Services.create(make_settings(closed, tmp_path / "data"))
    try:
        assert await services.readiness() == {"database": False, "broadcast": True}
    finally:
        await services.engine.dispose()


# --- GraphQL over HTTP ------------------------------------------------------------------------


async def test_get_runs_a_query(client: GraphQLClient) -> None:
    alice = await client.register("alice")
    response = await client.http.get(
        "/graphql",
        params={"query": "{ me { id tag } }"},
        headers={"Authorization": f"Bearer {alice.access_token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"me": {"id": alice.id, "tag": "alice"}}}


async def test_get_refuses_a_mutation(client: GraphQLClient) -> None:
    mutation = 'mutation { logout(refreshToken: "whatever") }'
    response = await client.http.get("/graphql", params={"query": mutation})
    assert response.status_code in (400, 405), response.text
    assert "mutations are not allowed" in response.text


async def test_a_response_is_utf8_json_with_non_ascii_text_intact(
    client: GraphQLClient,
) -> None:
    alice = await client.register("alice")
    name = 'Zoë 🎉 日本語 \u2028 "quoted" \\ end'
    update = "mutation($n: String!) { updateProfile(input: {displayName: $n}) { displayName } }"
    await client.data(update, {"n": name}, token=alice.access_token)
    response = await client.http.post(
        "/graphql",
        json={"query": "{ me { displayName } }"},
        headers={"Authorization": f"Bearer {alice.access_token}"},
    )
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content.decode("utf-8")) == {"data": {"me": {"displayName": name}}}
    assert "Zoë 🎉 日本語".encode() in response.content  # as UTF-8, not escaped


def test_what_orjson_refuses_is_encoded_by_the_standard_library() -> None:
    assert json.loads(json_bytes({"big": 2**70, "text": "\ud800"})) == {
        "big": 2**70,
        "text": "\ud800",
    }


async def test_introspection_is_allowed_in_development(client: GraphQLClient) -> None:
    data = await client.data("{ __schema { queryType { name } } }")
    assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_is_refused_when_turned_off(serve: Serve) -> None:
    async with serve(introspection=False) as client:
        body = await client.execute("{ __schema { queryType { name } } }")
        typename = await client.execute("{ __typename }")
    assert body.get("data") is None
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection has been disabled" in body["errors"][0]["message"]
    assert typename == {"data": {"__typename": "Query"}}  # not an introspection query


async def test_a_syntax_error_is_a_parse_failure(client: GraphQLClient) -> None:
    body = await client.execute("{ me {")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_an_unknown_field_is_a_validation_failure(client: GraphQLClient) -> None:
    body = await client.execute("{ noSuchField }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "noSuchField" in body["errors"][0]["message"]


async def test_an_over_deep_query_is_refused(client: GraphQLClient) -> None:
    # No type of the schema nests that deep, so the extra levels are unknown fields too; the
    # depth limit must be among the refusals (it does not need the fields to exist).
    levels = MAX_DEPTH + 2
    query = "{ me " + "{ a " * levels + "}" * (levels + 1)
    body = await client.execute(query)
    assert body.get("data") is None
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    messages = [error["message"] for error in body["errors"]]
    assert any(f"maximum operation depth of {MAX_DEPTH}" in m for m in messages), messages


async def test_an_unexpected_error_is_masked_as_internal_with_the_request_id(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await client.register("alice")

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(profiles, "search_users", broken)
    with caplog.at_level(logging.ERROR):
        response = await client.http.post(
            "/graphql",
            json={"query": SEARCH},
            headers={"Authorization": f"Bearer {alice.access_token}"},
        )

    assert response.status_code == 200, response.text
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "INTERNAL",
        "requestId": response.headers["x-request-id"],
    }
    assert error["path"] == ["searchUsers"]
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    logged = [r for r in caplog.records if r.name == "graphql_schema.extensions.errors"]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None
    assert "secret detail" in str(logged[0].exc_info[1])


async def test_a_domain_error_keeps_its_code_and_message(client: GraphQLClient) -> None:
    error = await client.error("{ me { id } }")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == "Sign in to do this"


# --- request ids ------------------------------------------------------------------------------


async def test_a_well_formed_request_id_is_echoed(client: GraphQLClient) -> None:
    response = await client.http.get("/healthz", headers={"X-Request-ID": "req-42.abc_DEF"})
    assert response.headers["x-request-id"] == "req-42.abc_DEF"


async def test_a_request_id_is_made_when_none_is_sent(client: GraphQLClient) -> None:
    first = await client.http.get("/healthz")
    second = await client.http.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


MALICIOUS_IDS = [
    "<script>alert(1)</script>",
    "id with spaces",
    "a" * 65,
    "x\tforged: header",
    "../../etc/passwd",
    "",
]


async def test_a_malicious_request_id_is_replaced(client: GraphQLClient) -> None:
    for malicious in MALICIOUS_IDS:
        response = await client.http.get("/healthz", headers={"X-Request-ID": malicious})
        echoed = response.headers["x-request-id"]
        assert echoed != malicious
        assert re.fullmatch(r"[0-9a-f]{32}", echoed), (malicious, echoed)


# --- body limits ------------------------------------------------------------------------------


async def test_a_json_body_over_one_mebibyte_is_refused(client: GraphQLClient) -> None:
    padding = "a" * JSON_BODY_LIMIT
    response = await client.http.post("/graphql", json={"query": "{ __typename }", "p": padding})
    assert response.status_code == 413


async def test_a_streamed_json_body_over_the_limit_is_refused(client: GraphQLClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(11):
            yield b" " * (100 * 1024)
        yield b'{"query": "{ __typename }"}'

    response = await client.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_json_body_just_under_the_limit_is_accepted(client: GraphQLClient) -> None:
    query = "{ __typename }"
    body = b'{"query": "' + query.encode() + b'"}'
    body = body + b" " * (JSON_BODY_LIMIT - len(body))
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
