"""Role mutations: create, update, delete, assign and remove."""

from typing import Annotated

import strawberry

from graphql_schema.arguments import RoleId, SpaceId, UserId
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.roles import Role, RoleInput
from graphql_schema.spaces import Member
from resolvers import roles

RoleFieldsArg = Annotated[RoleInput, strawberry.argument(description="The role's fields.")]


@strawberry.type
class RoleMutation:
    @strawberry.mutation(description="MANAGE_ROLES: a role below your own highest.")
    async def create_role(self, info: Info, space_id: SpaceId, input: RoleFieldsArg) -> Role:
        ctx = info.context
        space_pk = pk_from_global_id(space_id, "Space", field="spaceId")
        row = await roles.create_role(
            ctx.session, ctx.rate_limiter, ctx.require_user(), space_pk, input.to_fields()
        )
        return Role.from_row(row)

    @strawberry.mutation(description="MANAGE_ROLES, for a role below your own highest.")
    async def update_role(self, info: Info, role_id: RoleId, input: RoleFieldsArg) -> Role:
        ctx = info.context
        role_pk = pk_from_global_id(role_id, "Role", field="roleId")
        row = await roles.update_role(
            ctx.session, ctx.rate_limiter, ctx.require_user(), role_pk, input.to_fields()
        )
        return Role.from_row(row)

    @strawberry.mutation(
        description="MANAGE_ROLES, for a role below your own highest; not the default role."
    )
    async def delete_role(self, info: Info, role_id: RoleId) -> bool:
        ctx = info.context
        role_pk = pk_from_global_id(role_id, "Role", field="roleId")
        return await roles.delete_role(ctx.session, ctx.require_user(), role_pk)

    @strawberry.mutation(
        description="MANAGE_ROLES: give a member a role below your own highest; the member."
    )
    async def assign_role(
        self, info: Info, space_id: SpaceId, user_id: UserId, role_id: RoleId
    ) -> Member:
        ctx = info.context
        row = await roles.assign_role(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            *_role_args(space_id, user_id, role_id),
        )
        return Member.from_row(row)

    @strawberry.mutation(
        description="MANAGE_ROLES: take back a role below your own highest (not the default)."
    )
    async def remove_role(
        self, info: Info, space_id: SpaceId, user_id: UserId, role_id: RoleId
    ) -> Member:
        ctx = info.context
        row = await roles.remove_role(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            *_role_args(space_id, user_id, role_id),
        )
        return Member.from_row(row)


def _role_args(space_id: str, user_id: str, role_id: str) -> tuple[int, int, int]:
    return (
        pk_from_global_id(space_id, "Space", field="spaceId"),
        pk_from_global_id(user_id, "User", field="userId"),
        pk_from_global_id(role_id, "Role", field="roleId"),
    )
