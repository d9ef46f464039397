"""Operations generated from the live schema, with random and hostile arguments, against a
running server on both backends: none may answer INTERNAL, a 5xx, or stall for seconds.

hypothesis-graphql builds the documents (valid ones, and ones broken on purpose) from the
schema the server runs; the arguments mix ids of real rows with random and hostile text.
The run is derandomized, so CI repeats the same examples; set FUZZ_EXAMPLES for a longer
run and FUZZ_RANDOM=1 for new ones.
"""

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from graphql import (
    ArgumentNode,
    GraphQLSchema,
    GraphQLSyntaxError,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    build_schema,
    parse,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from graphql_schema.schema import export_sdl
from tests.backends import Backend
from tests.live import direct_chat, register, send
from tests.servers import Server, running_server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
# A stall (work on the event loop growing with the input) holds a request for seconds; a
# busy shared machine can hold an ordinary one for about one.
SLOW_SECONDS = 3.0
# Argon2 is slow on purpose (in a worker thread, off the event loop): sign-ins are held to
# the rule of no INTERNAL, not to the time bound.
HASHING = re.compile(r"\b(register|login)\s*\(")
SCHEMA = export_sdl()

HOSTILE_TEXT = [
    "",
    " ",
    "a\u0000b",
    "\ud800",
    "\udfff tail",
    "%_\\",
    "' OR 1=1 --",
    "😀" * 50,
    "Привет",
    "x" * 5000,
    "%" * 60_000,
    "[" * 3000,
    "9" * 400,
    "@everyone @here",
    base64.urlsafe_b64encode(b"[" * 3000).decode(),  # a cursor nested past the recursion limit
    base64.urlsafe_b64encode(b'["2030-01-01T00:00:00", 1]').decode(),
]


@dataclass
class Fixture:
    server: Server
    token: str
    ids: list[str]


@pytest.fixture
def fixture(backend: Backend, tmp_path: Path) -> Iterator[Fixture]:
    with running_server(backend, tmp_path) as server:
        alice, alice_id = register(server, "alice")
        _, bob_id = register(server, "bob")
        create = (
            'mutation { createSpace(input: {name: "Fuzz", isPublic: true}) { id channels { id } } }'
        )
        space = server.graphql(create, token=alice)["createSpace"]
        chat = direct_chat(server, alice, bob_id)
        message = send(server, alice, chat, "hello @bob")
        ids = [alice_id, bob_id, space["id"], space["channels"][0]["id"], chat, message]
        yield Fixture(server, alice, ids)


def global_id(type_name: str, pk: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def scalars(ids: list[str]) -> dict[str, st.SearchStrategy[object]]:
    texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))
    forged_ids = st.builds(
        global_id,
        st.sampled_from(["User", "Space", "Chat", "Message", "Role", "Notification", "X"]),
        st.sampled_from(["0", "-1", "1", "2", "99999999", "9" * 30, "1e3", "", "a"]),
    )
    moments = st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        st.sampled_from(
            ["2030-01-01T00:00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
        ),
        texts,
    )
    real_ids = st.sampled_from(ids)
    return {
        "String": texts.map(nodes.String),
        "ID": st.one_of(real_ids, real_ids, real_ids, forged_ids, texts).map(nodes.String),
        "DateTime": moments.map(nodes.String),
        "Upload": st.just(nodes.Null),
    }


def lift_arguments(schema: GraphQLSchema, query: str) -> tuple[str, dict[str, object]]:
    """The same operation with every argument passed as a variable, as clients send them
    (and as only JSON can carry some text, such as a lone surrogate)."""
    document = parse(query)
    type_info = TypeInfo(schema)
    definitions: list[VariableDefinitionNode] = []
    values: dict[str, object] = {}

    class Lift(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> ArgumentNode | None:
            argument = type_info.get_argument()
            if argument is None:
                return None
            variable = VariableNode(name=NameNode(value=f"v{len(values)}"))
            values[variable.name.value] = value_from_ast_untyped(node.value)
            type_node = parse_type(str(argument.type))
            definitions.append(VariableDefinitionNode(variable=variable, type=type_node))
            return ArgumentNode(name=node.name, value=variable)

    lifted = visit(document, TypeInfoVisitor(type_info, Lift()))
    operations = tuple(
        replace(definition, variable_definitions=tuple(definitions))
        if isinstance(definition, OperationDefinitionNode)
        else definition
        for definition in lifted.definitions
    )
    return print_ast(replace(lifted, definitions=operations)), values


def check(
    server: Server, token: str | None, query: str, variables: dict[str, object] | None = None
) -> None:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    started = time.monotonic()
    response = httpx.post(
        f"{server.http_url}/graphql",
        # Escaped to ASCII: lone surrogates travel too.
        content=json.dumps({"query": query, "variables": variables or {}}),
        headers=headers,
        timeout=10,
    )
    elapsed = time.monotonic() - started
    assert response.status_code < 500, (response.status_code, response.text, query)
    assert elapsed < SLOW_SECONDS or HASHING.search(query), (elapsed, query)
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        internal = [
            error
            for error in body.get("errors") or []
            if error.get("extensions", {}).get("code") in (None, "INTERNAL")
        ]
        assert not internal, (internal, query, server.output()[-3000:])


@pytest.mark.timeout(300)
def test_generated_operations_never_answer_internal_or_stall(fixture: Fixture) -> None:
    custom = scalars(fixture.ids)
    schema = build_schema(SCHEMA)
    valid = from_schema(SCHEMA, custom_scalars=custom, mode=Mode.POSITIVE)
    broken = from_schema(SCHEMA, custom_scalars=custom, mode=Mode.NEGATIVE)
    operations = st.one_of(valid, valid, broken)  # valid ones reach the resolvers

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        # The first failure is reported as it is: shrinking it against a server could take
        # longer than the run may.
        phases=[Phase.explicit, Phase.generate],
    )
    @given(query=operations, signed_in=st.booleans(), as_variables=st.booleans())
    def run(query: str, signed_in: bool, as_variables: bool) -> None:
        token = fixture.token if signed_in else None
        if as_variables:
            try:
                check(fixture.server, token, *lift_arguments(schema, query))
                return
            except GraphQLSyntaxError:  # broken on purpose: send it as it is
                pass
        check(fixture.server, token, query)

    run()
