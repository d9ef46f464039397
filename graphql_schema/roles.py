"""The Role type and its input."""

from typing import Self

import strawberry

from db import models
from graphql_schema.enums import Permission, permission_flags, permission_list
from graphql_schema.ids import to_global_id
from graphql_schema.node import Node
from resolvers import roles


@strawberry.type(name="Role")
class Role(Node):
    id: strawberry.ID
    name: str
    color: str | None
    position: int
    permissions: list[Permission]
    is_default: bool = strawberry.field(description="The role every member has.")
    mentionable: bool

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


@strawberry.input
class RoleInput:
    name: str
    color: str | None = None
    position: int | None = None
    permissions: list[Permission] | None = None
    mentionable: bool | None = None

    def to_fields(self) -> roles.RoleFields:
        flags = permission_flags(self.permissions) if self.permissions is not None else None
        return roles.RoleFields(self.name, self.color, self.position, flags, self.mentionable)
