"""Mutations on spaces: create, update, delete, hand over, join, leave, invite, images."""

from typing import Annotated, cast

import strawberry
from strawberry.file_uploads import Upload

from graphql_schema.arguments import ImageFile, SpaceId, UserId
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.spaces import Invite, Space
from resolvers import invites, spaces
from resolvers.uploads import ImageSlot, UploadFile


@strawberry.input(description="A new space.")
class CreateSpaceInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str | None = strawberry.field(default=None, description="Up to 1000 characters.")
    is_public: bool | None = strawberry.field(
        default=False, description="Listed in publicSpaces and joinable without an invite."
    )


@strawberry.input(description="Space changes; a null or omitted field stays as it is.")
class UpdateSpaceInput:
    name: str | None = strawberry.field(default=None, description="1 to 100 characters.")
    description: str | None = strawberry.field(default=None, description="Up to 1000 characters.")
    is_public: bool | None = strawberry.field(
        default=None, description="Listed in publicSpaces and joinable without an invite."
    )


@strawberry.type
class SpaceMutation:
    @strawberry.mutation(description="Creates the default role and a #general channel.")
    async def create_space(
        self,
        info: Info,
        input: Annotated[CreateSpaceInput, strawberry.argument(description="The new space.")],
    ) -> Space:
        ctx = info.context
        row = await spaces.create_space(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            input.name,
            input.description,
            bool(input.is_public),
        )
        return Space.from_row(row)

    @strawberry.mutation(description="MANAGE_SPACE: change the name, description or visibility.")
    async def update_space(
        self,
        info: Info,
        id: SpaceId,
        input: Annotated[UpdateSpaceInput, strawberry.argument(description="The changes.")],
    ) -> Space:
        ctx = info.context
        changes = spaces.SpaceChanges(input.name, input.description, input.is_public)
        row = await spaces.update_space(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            pk_from_global_id(id, "Space"),
            changes,
        )
        return Space.from_row(row)

    @strawberry.mutation(description="MANAGE_SPACE; PNG, JPEG, GIF or WebP.")
    async def upload_space_avatar(self, info: Info, space_id: SpaceId, file: ImageFile) -> Space:
        return await _set_space_image(info, space_id, file, "avatar")

    @strawberry.mutation(description="MANAGE_SPACE; PNG, JPEG, GIF or WebP.")
    async def upload_space_banner(self, info: Info, space_id: SpaceId, file: ImageFile) -> Space:
        return await _set_space_image(info, space_id, file, "banner")

    @strawberry.mutation(description="Owner only; removes its channels and messages.")
    async def delete_space(self, info: Info, id: SpaceId) -> bool:
        ctx = info.context
        return await spaces.delete_space(
            ctx.session, ctx.attachments, ctx.require_user(), pk_from_global_id(id, "Space")
        )

    @strawberry.mutation(description="A public space by id, any space by invite code.")
    async def join_space(
        self,
        info: Info,
        space_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A public Space id.")
        ] = None,
        invite_code: Annotated[
            str | None, strawberry.argument(description="An Invite code (instead of spaceId).")
        ] = None,
    ) -> Space:
        ctx = info.context
        pk = pk_from_global_id(space_id, "Space", field="spaceId") if space_id else None
        row = await spaces.join_space(
            ctx.session, ctx.rate_limiter, ctx.require_user(), pk, invite_code
        )
        return Space.from_row(row)

    @strawberry.mutation(description="The owner must hand the space over first.")
    async def leave_space(self, info: Info, space_id: SpaceId) -> bool:
        ctx = info.context
        pk = pk_from_global_id(space_id, "Space", field="spaceId")
        return await spaces.leave_space(ctx.session, ctx.require_user(), pk)

    @strawberry.mutation(description="Owner only: make another member the owner.")
    async def transfer_space_ownership(
        self, info: Info, space_id: SpaceId, user_id: UserId
    ) -> Space:
        ctx = info.context
        row = await spaces.transfer_ownership(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            pk_from_global_id(space_id, "Space", field="spaceId"),
            pk_from_global_id(user_id, "User", field="userId"),
        )
        return Space.from_row(row)

    @strawberry.mutation(description="CREATE_INVITES: a code anyone can join the space with.")
    async def create_invite(
        self,
        info: Info,
        space_id: SpaceId,
        max_uses: Annotated[
            int | None, strawberry.argument(description="1 to 10,000 joins; null: unlimited.")
        ] = None,
        expires_in_seconds: Annotated[
            int | None,
            strawberry.argument(description="Lifetime, 60 s to 30 days; null: never expires."),
        ] = None,
    ) -> Invite:
        ctx = info.context
        row = await invites.create_invite(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            pk_from_global_id(space_id, "Space", field="spaceId"),
            max_uses,
            expires_in_seconds,
        )
        return Invite.from_row(row)


async def _set_space_image(info: Info, space_id: str, file: Upload, slot: ImageSlot) -> Space:
    ctx = info.context
    row = await spaces.set_space_image(
        ctx.session,
        ctx.storage,
        ctx.settings,
        ctx.rate_limiter,
        ctx.require_user(),
        pk_from_global_id(space_id, "Space", field="spaceId"),
        cast(UploadFile, file),
        slot,
    )
    return Space.from_row(row)
