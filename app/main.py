"""The Starlette application: /graphql, /healthz, /readyz, /media and /files (and, in
development, GraphiQL's assets)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute

from app import ide
from app.body_limit import BodyLimitMiddleware
from app.downloads import download_endpoint
from app.graphql_app import GraphQLApp
from app.media import MediaFiles
from app.services import Services
from graphql_schema.schema import create_schema
from infra.refusals import RefusalThrottle
from infra.request_id import HEADER as REQUEST_ID
from infra.request_id import RequestIdMiddleware
from infra.settings import Settings

# The request headers browsers may send: ours, and those Apollo Client and urql add.
CORS_HEADERS = [
    "authorization",
    "content-type",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
]


def create_app(settings: Settings) -> Starlette:
    settings.signing_key  # noqa: B018  (resolve, and in development create, the key up front)
    services = Services.create(settings)
    schema = create_schema(
        introspection=settings.introspection_enabled, max_query_cost=settings.max_query_cost
    )
    graphql = GraphQLApp(schema, services)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        checks = await services.readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    settings.media_path.mkdir(parents=True, exist_ok=True)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/media", MediaFiles(directory=settings.media_path)),
            Route("/files/{attachment_id:int}/{filename}", download_endpoint(services)),
            *(ide.routes() if settings.graphiql_enabled else []),
        ],
        middleware=[
            # First: what it refuses costs nothing more.
            Middleware(RefusalThrottle, budget=settings.refused_request_limit),
            Middleware(RequestIdMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_origin_regex=settings.cors_origin_regex,
                allow_methods=["GET", "POST"],
                allow_headers=CORS_HEADERS,
                expose_headers=[REQUEST_ID],
            ),
            Middleware(BodyLimitMiddleware, max_upload_bytes=settings.max_upload_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
