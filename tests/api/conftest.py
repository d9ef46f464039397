"""Fixtures the API tests share: an app in this process, or a real server."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.backends import Backend
from tests.conftest import make_settings
from tests.graphql_client import GraphQLClient
from tests.servers import Server, running_server

Serve = Callable[..., AbstractAsyncContextManager[GraphQLClient]]


@pytest.fixture
def serve(backend: Backend, tmp_path: Path) -> Serve:
    """A client for an app built from `make_settings(backend, ...)` with some overrides."""

    @asynccontextmanager
    async def serve(**overrides: object) -> AsyncIterator[GraphQLClient]:
        application = create_app(make_settings(backend, tmp_path / "data", **overrides))
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as h:
                yield GraphQLClient(h)

    return serve


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[Server]:
    """A real server (`thespace serve`, development settings) on `backend`; a test module
    that needs other settings defines its own."""
    with running_server(backend, tmp_path) as running:
        yield running
