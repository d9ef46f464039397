"""`node(id)`: fetch any entity by its global id."""

import strawberry

from graphql_schema.ids import parse_global_id
from graphql_schema.info import Info
from graphql_schema.node import Node
from graphql_schema.users import User


@strawberry.type
class NodeQuery:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        """The entity with this id, or null when it does not exist or is not visible."""
        info.context.require_user()
        parsed = parse_global_id(id)
        if parsed is None:
            return None
        type_name, pk = parsed
        if type_name == "User":
            row = await info.context.loaders.users.load(pk)
            return User.from_row(row) if row else None
        return None
