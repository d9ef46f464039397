"""User, AuthPayload and the account and profile inputs."""

from datetime import datetime
from typing import Self

import strawberry

from db import models
from graphql_schema.enums import PresenceStatus
from graphql_schema.ids import to_global_id
from graphql_schema.info import Info
from graphql_schema.node import Node
from graphql_schema.viewer import DEPENDS_ON_VIEWER
from resolvers import presence
from resolvers.accounts import AuthResult
from resolvers.permissions import is_self


@strawberry.type(name="User", description="A person with an account.")
class User(Node):
    id: strawberry.ID = strawberry.field(description="Global id (for `node`).")
    tag: str = strawberry.field(description="Unique handle, used in @mentions.")
    display_name: str = strawberry.field(description="The name shown, up to 64 characters.")
    bio: str | None = strawberry.field(
        description="Free text, up to 1000 characters; null when unset."
    )
    created_at: datetime = strawberry.field(description="When the account was registered.")
    row: strawberry.Private[models.User]
    # Set where the caller is known to be this user before the context says so (sign-in).
    is_self: strawberry.Private[bool] = False
    # Set where the viewer is known to see this user's presence (a presence event reached them).
    presence_shown: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: models.User, *, is_self: bool = False) -> Self:
        return cls(
            id=strawberry.ID(to_global_id("User", row.id)),
            tag=row.tag,
            display_name=row.display_name,
            bio=row.bio,
            created_at=row.created_at,
            row=row,
            is_self=is_self,
        )

    @strawberry.field(
        description="Visible to the user themself only; null for others.",
        metadata=DEPENDS_ON_VIEWER,
    )
    def email(self, info: Info) -> str | None:
        return self.row.email if self._seen_by_self(info) else None

    @strawberry.field(description="Link to the profile picture; null when none is set.")
    def avatar_url(self, info: Info) -> str | None:
        return media_url(info, self.row.avatar_key)

    @strawberry.field(description="Link to the profile banner; null when none is set.")
    def banner_url(self, info: Info) -> str | None:
        return media_url(info, self.row.banner_key)

    @strawberry.field(
        description="Live presence: OFFLINE without a connection; others see INVISIBLE as "
        "OFFLINE, the user themself sees the status they chose. Only those sharing a space "
        "or a chat with the user see it (OFFLINE to everyone else, and to anyone they "
        "blocked).",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def status(self, info: Info) -> PresenceStatus:
        by_self = self._seen_by_self(info)
        # Asked for the viewer too, so that one batch of `online` covers the whole page.
        visible = await self._presence_visible(info) or by_self
        online = visible and await info.context.loaders.online.load(self.row.id)
        return presence.status_seen(self.row, online, by_self=by_self, visible=visible)

    @strawberry.field(
        description="When the user was last online; null if never, and for those who may "
        "not see their presence.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def last_seen_at(self, info: Info) -> datetime | None:
        if self._seen_by_self(info) or await self._presence_visible(info):
            return self.row.last_seen_at
        return None

    @strawberry.field(
        description="Whether the signed-in user has blocked this user.",
        metadata=DEPENDS_ON_VIEWER,
    )
    async def viewer_has_blocked(self, info: Info) -> bool:
        return await info.context.loaders.viewer_blocked.load(self.row.id)

    async def _presence_visible(self, info: Info) -> bool:
        return self.presence_shown or await info.context.loaders.presence_visible.load(self.row.id)

    def _seen_by_self(self, info: Info) -> bool:
        viewer = info.context.user
        return self.is_self or is_self(viewer.id if viewer else None, self.row.id)


def media_url(info: Info, key: str | None) -> str | None:
    return info.context.storage.url(key, info.context.public_base_url) if key else None


async def load_user(info: Info, user_id: int) -> User:
    """A user another row points at (by foreign key, so it exists), through the loader."""
    return user_from_row(await info.context.loaders.users.load(user_id))


def user_from_row(row: models.User | None) -> User:
    """A user a loader found for a row that points at it (by foreign key, so it exists)."""
    assert row is not None, "a referenced user is missing"
    return User.from_row(row)


@strawberry.type(description="The tokens of a new session and whose it is.")
class AuthPayload:
    access_token: str = strawberry.field(description="Short-lived JWT.")
    refresh_token: str = strawberry.field(description="Long-lived; rotated on every refresh.")
    expires_in: int = strawberry.field(description="Access token lifetime in seconds.")
    user: User = strawberry.field(description="The signed-in user.")

    @classmethod
    def from_result(cls, result: AuthResult) -> Self:
        return cls(
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            expires_in=result.expires_in,
            user=User.from_row(result.user, is_self=True),
        )


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Unique email address, up to 254 characters.")
    password: str = strawberry.field(description="8 to 256 characters.")
    tag: str = strawberry.field(description="Unique handle: 3 to 32 of a-z, 0-9, `_` and `.`.")
    display_name: str = strawberry.field(description="The name shown, up to 64 characters.")


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    login: str = strawberry.field(description="Email address or tag.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="Profile changes; a null or omitted field stays as it is.")
class UpdateProfileInput:
    display_name: str | None = strawberry.field(
        default=None, description="The name shown, up to 64 characters."
    )
    bio: str | None = strawberry.field(default=None, description="An empty string clears it.")
    tag: str | None = strawberry.field(
        default=None, description="A new unique handle: 3 to 32 of a-z, 0-9, `_` and `.`."
    )
