"""Mutations on spaces: create, update, delete, hand over, join, leave, invite, images."""

from typing import cast

import strawberry
from strawberry.file_uploads import Upload

from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.spaces import Invite, Space
from resolvers import invites, spaces
from resolvers.uploads import ImageSlot, UploadFile


@strawberry.input
class CreateSpaceInput:
    name: str
    description: str | None = None
    is_public: bool | None = False


@strawberry.input
class UpdateSpaceInput:
    name: str | None = None
    description: str | None = None
    is_public: bool | None = None


@strawberry.type
class SpaceMutation:
    @strawberry.mutation(description="Creates the default role and a #general channel.")
    async def create_space(self, info: Info, input: CreateSpaceInput) -> Space:
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

    @strawberry.mutation
    async def update_space(self, info: Info, id: strawberry.ID, input: UpdateSpaceInput) -> Space:
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
    async def upload_space_avatar(self, info: Info, space_id: strawberry.ID, file: Upload) -> Space:
        return await _set_space_image(info, space_id, file, "avatar")

    @strawberry.mutation(description="MANAGE_SPACE; PNG, JPEG, GIF or WebP.")
    async def upload_space_banner(self, info: Info, space_id: strawberry.ID, file: Upload) -> Space:
        return await _set_space_image(info, space_id, file, "banner")

    @strawberry.mutation(description="Owner only; removes its channels and messages.")
    async def delete_space(self, info: Info, id: strawberry.ID) -> bool:
        ctx = info.context
        return await spaces.delete_space(
            ctx.session, ctx.attachments, ctx.require_user(), pk_from_global_id(id, "Space")
        )

    @strawberry.mutation(description="A public space by id, any space by invite code.")
    async def join_space(
        self, info: Info, space_id: strawberry.ID | None = None, invite_code: str | None = None
    ) -> Space:
        ctx = info.context
        pk = pk_from_global_id(space_id, "Space", field="spaceId") if space_id else None
        row = await spaces.join_space(
            ctx.session, ctx.rate_limiter, ctx.require_user(), pk, invite_code
        )
        return Space.from_row(row)

    @strawberry.mutation(description="The owner must hand the space over first.")
    async def leave_space(self, info: Info, space_id: strawberry.ID) -> bool:
        ctx = info.context
        pk = pk_from_global_id(space_id, "Space", field="spaceId")
        return await spaces.leave_space(ctx.session, ctx.require_user(), pk)

    @strawberry.mutation(description="Owner only: make another member the owner.")
    async def transfer_space_ownership(
        self, info: Info, space_id: strawberry.ID, user_id: strawberry.ID
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

    @strawberry.mutation
    async def create_invite(
        self,
        info: Info,
        space_id: strawberry.ID,
        max_uses: int | None = None,
        expires_in_seconds: int | None = None,
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
