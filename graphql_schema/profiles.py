"""Profile queries and mutations."""

from typing import Annotated, cast

import strawberry
from strawberry.file_uploads import Upload

from graphql_schema.arguments import ImageFile
from graphql_schema.ids import pk_from_global_id
from graphql_schema.info import Info
from graphql_schema.users import UpdateProfileInput, User
from resolvers import profiles
from resolvers.uploads import ImageSlot, UploadFile


@strawberry.type
class ProfileQuery:
    @strawberry.field(description="The signed-in user.")
    def me(self, info: Info) -> User:
        return User.from_row(info.context.require_user())

    @strawberry.field(description="The user with this id, or null.")
    async def user(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A User id.")],
    ) -> User | None:
        info.context.require_user()
        row = await info.context.loaders.users.load(pk_from_global_id(id, "User"))
        return User.from_row(row) if row else None

    @strawberry.field(description="The user with this tag, or null.")
    async def user_by_tag(
        self, info: Info, tag: Annotated[str, strawberry.argument(description="A tag, without @.")]
    ) -> User | None:
        info.context.require_user()
        row = await profiles.user_by_tag(info.context.session, tag)
        return User.from_row(row) if row else None

    @strawberry.field(description="Prefix match on tag and display name, for @mentions.")
    async def search_users(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="The start of a tag or name.")],
        space_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Put this space's members first."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="How many, 1 to 50.")] = 10,
    ) -> list[User]:
        ctx = info.context
        rows = await profiles.search_users(
            ctx.session,
            ctx.require_user(),
            query,
            10 if first is None else first,
            pk_from_global_id(space_id, "Space", field="spaceId") if space_id else None,
        )
        return [User.from_row(row) for row in rows]


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Change the caller's own profile.")
    async def update_profile(
        self,
        info: Info,
        input: Annotated[UpdateProfileInput, strawberry.argument(description="The changes.")],
    ) -> User:
        ctx = info.context
        row = await profiles.update_profile(
            ctx.session,
            ctx.rate_limiter,
            ctx.require_user(),
            display_name=input.display_name,
            bio=input.bio,
            tag=input.tag,
        )
        return User.from_row(row)

    @strawberry.mutation(description="Set the caller's profile picture.")
    async def upload_avatar(self, info: Info, file: ImageFile) -> User:
        return await _set_profile_image(info, file, "avatar")

    @strawberry.mutation(description="Set the caller's profile banner.")
    async def upload_banner(self, info: Info, file: ImageFile) -> User:
        return await _set_profile_image(info, file, "banner")


async def _set_profile_image(info: Info, file: Upload, which: ImageSlot) -> User:
    ctx = info.context
    row = await profiles.set_profile_image(
        ctx.session,
        ctx.storage,
        ctx.settings,
        ctx.rate_limiter,
        ctx.require_user(),
        cast(UploadFile, file),
        which,
    )
    return User.from_row(row)
