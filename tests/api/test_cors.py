"""CORS as browsers meet it: Apollo's and urql's preflights from an allowed origin pass, other
origins get no CORS headers, and development (only) allows front ends on this machine."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from infra.settings import Settings
from tests.conftest import TEST_SECRET

# What Apollo Client and urql may put on a request (besides content-type).
CLIENT_HEADERS = [
    "authorization",
    "content-type",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
]

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client(tmp_path: Path) -> Client:
    """An HTTP client of an app configured with `environment` and `cors_origins`."""

    @asynccontextmanager
    async def make(
        environment: str = "production", cors_origins: tuple[str, ...] = ()
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            environment=environment,
            secret_key=TEST_SECRET,
            data_dir=tmp_path,
            allow_sqlite_in_production=True,
            cors_origins=list(cors_origins),
        )
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    return make


async def preflight(http: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ", ".join(CLIENT_HEADERS),
        },
    )


async def test_a_preflight_with_the_clients_headers_from_an_allowed_origin_passes(
    client: Client,
) -> None:
    async with client(cors_origins=("https://chat.example.com",)) as http:
        response = await preflight(http, "https://chat.example.com")
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "https://chat.example.com"
        allowed = response.headers["access-control-allow-headers"].lower().split(", ")
        assert set(CLIENT_HEADERS) <= set(allowed)
        answer = await http.get("/healthz", headers={"Origin": "https://chat.example.com"})
        assert answer.headers["access-control-allow-origin"] == "https://chat.example.com"
        exposed = answer.headers["access-control-expose-headers"].lower().split(", ")
        assert "x-request-id" in exposed and answer.headers["x-request-id"]


async def test_a_disallowed_origin_gets_no_cors_headers(client: Client) -> None:
    async with client(cors_origins=("https://chat.example.com",)) as http:
        response = await preflight(http, "https://evil.example.com")
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        answer = await http.get("/healthz", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"]
)
async def test_development_allows_local_front_ends_by_default(client: Client, origin: str) -> None:
    async with client("development") as http:
        response = await preflight(http, origin)
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost:5173",  # only plain http, as a dev server serves
        "http://localhost.evil.com",
        "http://localhost:5173.evil.com",
        "http://127.0.0.1.evil.com:80",
    ],
)
async def test_development_allows_nothing_that_only_looks_local(
    client: Client, origin: str
) -> None:
    async with client("development") as http:
        assert "access-control-allow-origin" not in (await preflight(http, origin)).headers


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000"])
async def test_production_allows_no_origin_by_default(client: Client, origin: str) -> None:
    async with client("production") as http:
        response = await preflight(http, origin)
        assert "access-control-allow-origin" not in response.headers
