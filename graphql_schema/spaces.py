"""Space, Member, Invite and the space queries (the mutations: graphql_schema.space_mutations)."""

from datetime import datetime
from typing import Annotated, Self

import strawberry

from db import models
from graphql_schema.arguments import After, First, SpaceId
from graphql_schema.chats import Chat
from graphql_schema.connections import Connection
from graphql_schema.enums import Permission, permission_list
from graphql_schema.ids import pk_from_global_id, to_global_id
from graphql_schema.info import Info
from graphql_schema.moderation import Ban
from graphql_schema.node import Node
from graphql_schema.roles import Role
from graphql_schema.users import User, load_user, media_url
from graphql_schema.viewer import DEPENDS_ON_VIEWER
from resolvers import chats, moderation, roles, spaces
from resolvers.pagination import page_request
from resolvers.permissions import (
    Standing,
    may_ban,
    may_kick,
    may_manage_roles_of,
    standing_of_member,
)


async def _standing(info: Info, space: models.Space) -> Standing:
    return await info.context.standing(space)


@strawberry.type(name="Member", description="A user's membership of a space.")
class Member:
    id: strawberry.ID = strawberry.field(
        description="Stable per space and user, so normalized caches (Apollo, Graphcache) key it."
    )
    nickname: str | None = strawberry.field(description="The name used in this space; null: none.")
    joined_at: datetime = strawberry.field(description="When the user joined.")
    row: strawberry.Private[models.SpaceMember]

    @classmethod
    def from_row(cls, row: models.SpaceMember) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Member", row.space_id, row.user_id)),
            nickname=row.nickname,
            joined_at=row.joined_at,
            row=row,
        )

    @strawberry.field(description="Who the member is.")
    async def user(self, info: Info) -> User:
        return await load_user(info, self.row.user_id)

    @strawberry.field(description="The space joined.")
    async def space(self, info: Info) -> "Space":
        return Space.from_row(await info.context.session.get_one(models.Space, self.row.space_id))

    @strawberry.field(description="Highest first; the default role included.")
    async def roles(self, info: Info) -> list[Role]:
        return [
            Role.from_row(row) for row in await info.context.loaders.member_roles.load(self.row.id)
        ]

    # What the caller may do to this member now (rights and role hierarchy): the rules
    # kickMember, banMember and assignRole/removeRole apply.

    @strawberry.field(
        description="Whether kickMember would remove this member for the caller now.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def viewer_can_kick(self, info: Info) -> bool:
        return may_kick(*await self._standings(info))

    @strawberry.field(
        description="Whether banMember would ban this member for the caller now.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def viewer_can_ban(self, info: Info) -> bool:
        return may_ban(*await self._standings(info))

    @strawberry.field(
        description="Whether the caller may give this member roles or take them back (each "
        "role below its own highest).",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def viewer_can_manage_roles(self, info: Info) -> bool:
        return may_manage_roles_of(*await self._standings(info))

    async def _standings(self, info: Info) -> tuple[Standing, Standing]:
        """The viewer's standing in the member's space, and the member's: batched for a
        whole page of members (the viewer's once, the members' roles in one statement)."""
        loaders = info.context.loaders
        space = await loaders.spaces.load(self.row.space_id)
        assert space is not None, "a member's space goes with it"
        viewer = await _standing(info, space)
        roles = await loaders.member_roles.load(self.row.id)
        return viewer, standing_of_member(space, self.row, roles)


@strawberry.type(name="Space", description="A community: members, roles and channels.")
class Space(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    name: str = strawberry.field(description="1 to 100 characters.")
    description: str | None = strawberry.field(description="Null when unset.")
    is_public: bool = strawberry.field(
        description="Listed in publicSpaces and joinable without an invite."
    )
    created_at: datetime = strawberry.field(description="When the space was created.")
    row: strawberry.Private[models.Space]

    @classmethod
    def from_row(cls, row: models.Space) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Space", row.id)),
            name=row.name,
            description=row.description,
            is_public=row.is_public,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Link to the space's picture; null when none is set.")
    def avatar_url(self, info: Info) -> str | None:
        return media_url(info, self.row.avatar_key)

    @strawberry.field(description="Link to the space's banner; null when none is set.")
    def banner_url(self, info: Info) -> str | None:
        return media_url(info, self.row.banner_key)

    @strawberry.field(description="The member who owns it (with every permission).")
    async def owner(self, info: Info) -> User:
        return await load_user(info, self.row.owner_id)

    @strawberry.field(description="How many members it has.")
    async def member_count(self, info: Info) -> int:
        return await info.context.loaders.member_counts.load(self.row.id)

    @strawberry.field(
        description="What the caller may do here; empty for non-members.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def my_permissions(self, info: Info) -> list[Permission]:
        return permission_list((await _standing(info, self.row)).permissions)

    @strawberry.field(
        description="Channels the caller may view (VIEW_CHANNELS).", metadata=DEPENDS_ON_VIEWER
    )
    async def channels(self, info: Info) -> list[Chat]:
        standing = await _standing(info, self.row)
        rows = await chats.readable_channels(info.context.session, standing)
        return [Chat.from_row(row, readable=True) for row in rows]

    @strawberry.field(
        description="Members only; an empty list for others.", metadata=DEPENDS_ON_VIEWER
    )
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        query: Annotated[
            str | None,
            strawberry.argument(description="Only those whose tag, name or nickname starts so."),
        ] = None,
    ) -> Connection[Member]:
        page = page_request(first, after)
        info.context.loaders.spaces.prime(self.row.id, self.row)  # for the viewerCan* fields
        standing = await _standing(info, self.row)
        members = await spaces.members(info.context.session, standing, query, page)
        return Connection[Member].from_page(members, Member.from_row)

    @strawberry.field(description="Active bans; BAN_MEMBERS only.", metadata=DEPENDS_ON_VIEWER)
    async def bans(self, info: Info) -> list[Ban]:
        ctx = info.context
        rows = await moderation.active_bans(ctx.session, ctx.require_user(), self.row.id)
        return [Ban.from_row(row) for row in rows]

    @strawberry.field(
        description="Highest first; members only (empty for others).",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def roles(self, info: Info) -> list[Role]:
        standing = await _standing(info, self.row)
        return [
            Role.from_row(row) for row in await roles.roles_of_space(info.context.session, standing)
        ]


@strawberry.type(name="Invite", description="A code that lets anyone join a space.")
class Invite:
    id: strawberry.ID = strawberry.field(description="Each invite's own, for caches.")
    code: str = strawberry.field(description="Pass it to joinSpace as inviteCode.")
    max_uses: int | None = strawberry.field(
        description="How many joins it allows; null: unlimited."
    )
    uses: int = strawberry.field(description="How many joins it has been used for.")
    expires_at: datetime | None = strawberry.field(description="Null: it never expires.")
    created_at: datetime = strawberry.field(description="When it was created.")
    row: strawberry.Private[models.Invite]

    @classmethod
    def from_row(cls, row: models.Invite) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("Invite", row.id)),
            code=row.code,
            max_uses=row.max_uses,
            uses=row.uses,
            expires_at=row.expires_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The space it lets one join.")
    async def space(self, info: Info) -> Space:
        return Space.from_row(await info.context.session.get_one(models.Space, self.row.space_id))

    @strawberry.field(description="Who created it.")
    async def creator(self, info: Info) -> User:
        return await load_user(info, self.row.creator_id)


@strawberry.type
class SpaceQuery:
    @strawberry.field(description="The spaces the caller is a member of, oldest joined first.")
    async def my_spaces(self, info: Info) -> list[Space]:
        ctx = info.context
        return [
            Space.from_row(row) for row in await spaces.my_spaces(ctx.session, ctx.require_user())
        ]

    @strawberry.field(description="A space the caller is a member of, or a public one.")
    async def space(self, info: Info, id: SpaceId) -> Space | None:
        ctx = info.context
        user = ctx.require_user()
        found = await spaces.find_visible(ctx.session, user, pk_from_global_id(id, "Space"))
        if found is None:
            return None
        ctx.remember_standing(found)
        return Space.from_row(found.space)

    @strawberry.field(description="Public spaces by name, A to Z.")
    async def public_spaces(
        self,
        info: Info,
        query: Annotated[
            str | None, strawberry.argument(description="Only names that start so (any case).")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Space]:
        ctx = info.context
        ctx.require_user()
        found = await spaces.public_spaces(ctx.session, query, page_request(first, after))
        return Connection[Space].from_page(found, Space.from_row)
