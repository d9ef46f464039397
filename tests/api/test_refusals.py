"""A client address whose requests keep being refused gets 429 before they cost anything."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.backends import Backend
from tests.conftest import make_settings

Clients = Callable[[], AbstractAsyncContextManager[Callable[[str], httpx.AsyncClient]]]
SYNTAX_ERROR = {"query": "{ me {"}
VALID = {"query": "{ __typename }"}


@pytest.fixture
def clients(backend: Backend, tmp_path: Path) -> Clients:
    """HTTP clients by address, for an app allowing 3 refusals a minute per address."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
        settings = make_settings(backend, tmp_path / "data", refused_request_rate_limit="3/minute")
        application = create_app(settings)
        opened: list[httpx.AsyncClient] = []

        def client(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=application, client=(address, 1234))
            opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
            return opened[-1]

        async with application.router.lifespan_context(application):
            try:
                yield client
            finally:
                for http in opened:
                    await http.aclose()

    return serve


async def test_an_address_past_its_refusals_gets_429_and_others_do_not(clients: Clients) -> None:
    async with clients() as client:
        attacker, neighbour = client("203.0.113.7"), client("203.0.113.8")
        for _ in range(3):
            assert (await attacker.post("/graphql", json=SYNTAX_ERROR)).status_code == 200
        refused = await attacker.post("/graphql", json=VALID)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
        assert (await neighbour.post("/graphql", json=VALID)).json() == {
            "data": {"__typename": "Query"}
        }


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": b"null", "headers": {"content-type": "application/json"}},  # HTTP 400
        {"json": {"query": "{ me { id } }"}},  # UNAUTHENTICATED, no data
        {"json": {"query": "{ nope }"}},  # a validation error
    ],
    ids=["not-a-request", "no-token", "invalid"],
)
async def test_every_kind_of_refusal_counts(
    clients: Clients, request_kwargs: dict[str, object]
) -> None:
    async with clients() as client:
        http = client("203.0.113.9")
        for _ in range(3):
            await http.post("/graphql", **request_kwargs)  # type: ignore[arg-type]
        assert (await http.post("/graphql", json=VALID)).status_code == 429


async def test_answers_with_data_do_not_count(clients: Clients) -> None:
    async with clients() as client:
        http = client("203.0.113.10")
        bad_id = {"query": '{ node(id: "nope") { id } }'}  # an error beside data: null node
        for _ in range(10):
            assert (await http.post("/graphql", json=VALID)).status_code == 200
            assert (await http.post("/graphql", json=bad_id)).status_code == 200
        assert (await http.post("/graphql", json=VALID)).status_code == 200
