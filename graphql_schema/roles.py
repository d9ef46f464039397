"""The Role type and its input."""

from typing import Self

import strawberry

from db import models
from graphql_schema.enums import Permission, permission_flags, permission_list
from graphql_schema.ids import to_global_id
from graphql_schema.node import Node
from resolvers import roles


@strawberry.type(name="Role", description="A named set of permissions given to members of a space.")
class Role(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    name: str = strawberry.field(description="1 to 64 characters.")
    color: str | None = strawberry.field(description="`#rrggbb`; null: no color.")
    position: int = strawberry.field(description="Rank in its space: higher outranks lower.")
    permissions: list[Permission] = strawberry.field(description="What the role allows space-wide.")
    is_default: bool = strawberry.field(description="The role every member has.")
    mentionable: bool = strawberry.field(
        description="Stored for clients (e.g. to offer the role in @mention completion)."
    )

    @classmethod
    def from_row(cls, row: models.Role) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Role", row.id)),
            name=row.name,
            color=row.color,
            position=row.position,
            permissions=permission_list(Permission(row.permissions)),
            is_default=row.is_default,
            mentionable=row.mentionable,
        )


@strawberry.input(description="A role's fields; a null or omitted optional field stays as it is.")
class RoleInput:
    name: str = strawberry.field(description="1 to 64 characters.")
    color: str | None = strawberry.field(
        default=None, description="`#RRGGBB`; an empty string clears it."
    )
    position: int | None = strawberry.field(
        default=None,
        description="1 to 1000, below your own highest role; ignored for the default role.",
    )
    permissions: list[Permission] | None = strawberry.field(
        default=None, description="Only permissions you have yourself."
    )
    mentionable: bool | None = strawberry.field(default=None, description="See Role.mentionable.")

    def to_fields(self) -> roles.RoleFields:
        flags = permission_flags(self.permissions) if self.permissions is not None else None
        return roles.RoleFields(self.name, self.color, self.position, flags, self.mentionable)
