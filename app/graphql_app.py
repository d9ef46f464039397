"""The Strawberry ASGI app: one database session and one context per HTTP request."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema

from app.auth import authenticate
from app.context import Context
from app.services import Services
from loaders import Loaders
from resolvers.errors import Unauthenticated


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, services: Services) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            multipart_uploads_enabled=True,
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # The session outlives the response body only long enough to be closed (rolled
        # back if a resolver left it mid-transaction), whatever happened inside.
        async with self.services.sessionmaker() as session:
            scope.setdefault("state", {})["db_session"] = session
            await super().__call__(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        session = request.state.db_session
        user, auth_error = None, None
        credential = request.headers.get("authorization")
        if credential:
            try:
                user = await authenticate(session, self.services.settings, credential)
            except Unauthenticated as error:
                auth_error = error
        return Context(
            request=request,
            response=response,
            settings=self.services.settings,
            storage=self.services.storage,
            attachments=self.services.attachments,
            session=session,
            loaders=Loaders(session, user.id if user else None),
            rate_limiter=self.services.rate_limiter,
            client=request.client.host if request.client else "unknown",
            user=user,
            auth_error=auth_error,
        )
