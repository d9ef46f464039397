"""Role mutations: create, update, delete, assign and remove."""

import strawberry

from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.roles import Role, RoleInput
from graphql_schema.spaces import Member
from resolvers import roles


@strawberry.type
class RoleMutation:
    @strawberry.mutation
    async def create_role(self, info: Info, space_id: strawberry.ID, input: RoleInput) -> Role:
        ctx = info.context
        space_pk = pk_from_global_id(space_id, "Space", field="spaceId")
        row = await roles.create_role(
            ctx.session, ctx.rate_limiter, ctx.require_user(), space_pk, input.to_fields()
        )
        return Role.from_row(row)

    @strawberry.mutation
    async def update_role(self, info: Info, role_id: strawberry.ID, input: RoleInput) -> Role:
        ctx = info.context
        role_pk = pk_from_global_id(role_id, "Role", field="roleId")
        row = await roles.update_role(
            ctx.session, ctx.rate_limiter, ctx.require_user(), role_pk, input.to_fields()
        )
        return Role.from_row(row)

    @strawberry.mutation
    async def delete_role(self, info: Info, role_id: strawberry.ID) -> bool:
        ctx = info.context
        role_pk = pk_from_global_id(role_id, "Role", field="roleId")
        return await roles.delete_role(ctx.session, ctx.require_user(), role_pk)

    @strawberry.mutation
    async def assign_role(
        self, info: Info, space_id: strawberry.ID, user_id: strawberry.ID, role_id: strawberry.ID
    ) -> Member:
        ctx = info.context
        row = await roles.assign_role(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            *_role_args(space_id, user_id, role_id),
        )
        return Member.from_row(row)

    @strawberry.mutation
    async def remove_role(
        self, info: Info, space_id: strawberry.ID, user_id: strawberry.ID, role_id: strawberry.ID
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
