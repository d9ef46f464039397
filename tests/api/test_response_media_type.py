"""GraphQL over HTTP's media types (graphql-http's SHOULD audits): a client that accepts
`application/graphql-response+json` gets it, with HTTP 400 and no `data` entry for a request
that never ran; a client asking for JSON keeps `application/json` and HTTP 200."""

from typing import Any

import pytest

from app.media_types import GRAPHQL_RESPONSE, JSON, response_media_type
from tests.graphql_client import GraphQLClient

NEVER_RAN = [
    pytest.param({"query": "{ __typename"}, id="parse"),
    pytest.param({"query": "{ noSuchField }"}, id="validation"),
    pytest.param(
        {"query": "query($b: Boolean!) { __typename @include(if: $b) }", "variables": {"b": "x"}},
        id="variable-coercion",
    ),
    pytest.param(
        {"query": "query($b: Boolean!) { __typename @include(if: $b) }"}, id="variable-missing"
    ),
]


async def post(client: GraphQLClient, body: dict[str, Any], accept: str | None) -> Any:
    headers = {} if accept is None else {"Accept": accept}
    return await client.http.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON}", GRAPHQL_RESPONSE),  # graphql-http's own client
        (f"{GRAPHQL_RESPONSE},{JSON};q=0.9", GRAPHQL_RESPONSE),  # Apollo Client's
        (f"{JSON}, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (JSON, JSON),
        ("*/*", JSON),
        (None, JSON),
    ],
)
async def test_the_response_comes_in_the_media_type_the_client_prefers(
    client: GraphQLClient, accept: str | None, media_type: str
) -> None:
    response = await post(client, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("body", NEVER_RAN)
async def test_a_request_that_never_ran_is_400_without_data_in_graphql_response_json(
    client: GraphQLClient, body: dict[str, Any]
) -> None:
    response = await post(client, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize("body", NEVER_RAN)
async def test_a_request_that_never_ran_is_200_with_null_data_in_json(
    client: GraphQLClient, body: dict[str, Any]
) -> None:
    response = await post(client, body, JSON)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    answer = response.json()
    assert answer["data"] is None and answer["errors"]


async def test_an_error_while_running_keeps_data_and_200(client: GraphQLClient) -> None:
    response = await post(client, {"query": "{ me { id } }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None  # it ran: the field's error has a path
    assert answer["errors"][0]["path"] == ["me"]


async def test_an_unknown_persisted_query_stays_200_for_apollo_clients(
    client: GraphQLClient,
) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = await post(client, {"extensions": extensions}, f"{GRAPHQL_RESPONSE},{JSON};q=0.9")
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {"query": {"a": 1}},
        {"query": 5},
        {"query": "{ __typename }", "operationName": {"a": 1}},
        {"query": "{ __typename }", "operationName": 5},
        {"query": "{ __typename }", "variables": "x"},
        {"query": "{ __typename }", "variables": [1]},
        {"query": "{ __typename }", "extensions": "x"},
        {"query": "{ __typename }", "extensions": 5},
        {},
    ],
)
async def test_a_malformed_request_is_400_in_either_media_type(
    client: GraphQLClient, body: dict[str, Any]
) -> None:
    for accept in (GRAPHQL_RESPONSE, JSON):
        response = await post(client, body, accept)
        assert response.status_code == 400, (accept, response.text)


async def test_a_get_query_answers_in_graphql_response_json(client: GraphQLClient) -> None:
    response = await client.http.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (f"{GRAPHQL_RESPONSE};q=0", JSON),
        (f"text/html;q=0.9, {GRAPHQL_RESPONSE};q=0.8, */*;q=0.8", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.4, application/*;q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE};q=nonsense", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE),
        ("text/html", JSON),
    ],
)
def test_accept_qualities_decide(accept: str, media_type: str) -> None:
    assert response_media_type(accept) == media_type
