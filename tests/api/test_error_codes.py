"""The code of a request refused before it runs tells the client whose fault it is, over HTTP
and both socket protocols alike: GRAPHQL_PARSE_FAILED (not GraphQL), GRAPHQL_VALIDATION_FAILED
(not valid against the schema, limits included), BAD_USER_INPUT (variables that do not fit)."""

import asyncio
import json
from typing import Any

import pytest

from tests.graphql_client import GraphQLClient
from tests.live import LEGACY_PROTOCOL, PROTOCOL, connect, register
from tests.servers import Server

# (an HTTP query, a socket's subscription, variables, the code they get)
REFUSED = [
    pytest.param(
        "{ me { id ",
        "subscription { myEvents { __typename ",
        {},
        "GRAPHQL_PARSE_FAILED",
        id="parse",
    ),
    pytest.param(
        "{ me { nickname } }",
        "subscription { myEvents { nickname } }",
        {},
        "GRAPHQL_VALIDATION_FAILED",
        id="validation",
    ),
    pytest.param(
        "query($c: ID!) { chat(id: $c) { id } }",
        "subscription($c: ID!) { chatEvents(chatId: $c) { __typename } }",
        {"c": 5.5},
        "BAD_USER_INPUT",
        id="variables",
    ),
]


@pytest.mark.parametrize(("query", "subscription", "variables", "code"), REFUSED)
async def test_a_request_refused_over_http_has_the_code_of_its_fault(
    client: GraphQLClient, query: str, subscription: str, variables: dict[str, Any], code: str
) -> None:
    alice = await client.register("alice")
    body = await client.execute(query, variables, token=alice.access_token)
    assert body.get("data") is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [code], body


@pytest.mark.parametrize("protocol", [PROTOCOL, LEGACY_PROTOCOL])
async def test_an_operation_refused_over_a_socket_has_the_code_of_its_fault(
    server: Server, protocol: str
) -> None:
    token, _ = register(server, "alice")
    for _, query, variables, code in (case.values for case in REFUSED):
        async with await connect(server, protocol) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            payload = {"query": query, "variables": variables}
            kind = "subscribe" if protocol == PROTOCOL else "start"
            await ws.send(json.dumps({"id": "1", "type": kind, "payload": payload}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["type"] == "error", reply
            errors = reply["payload"] if protocol == PROTOCOL else [reply["payload"]]
            assert [error["extensions"]["code"] for error in errors] == [code], reply
