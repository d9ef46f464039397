"""The Info type resolvers receive, bound to our Context."""

from strawberry.types import Info as StrawberryInfo

from graphql_schema.context import Context

Info = StrawberryInfo[Context, None]
