"""Spaces: creating, changing, joining, leaving, invites and listings."""

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, ChatKind, Role, Space, SpaceMember, User
from infra.errors import BadUserInput, Forbidden, NotFound
from infra.events import MembershipChange
from infra.rate_limits import RateLimiter, Write
from infra.settings import Settings
from infra.storage import Storage
from resolvers import attachments, invites
from resolvers.announcements import space_access_changed, space_membership
from resolvers.pagination import Page, PageRequest
from resolvers.permissions import (
    DEFAULT_ROLE_PERMISSIONS,
    Permission,
    Standing,
    active_ban,
    is_member,
    member_standing,
    owner_standing,
    require,
    visible_space,
)
from resolvers.text import like_prefix, search_prefix
from resolvers.uploads import ImageSlot, UploadFile, replace_image

NAME_MAX = 100
DESCRIPTION_MAX = 1000
DEFAULT_ROLE_NAME = "everyone"
DEFAULT_CHANNEL = "general"


@dataclass(frozen=True)
class SpaceChanges:
    name: str | None = None
    description: str | None = None
    is_public: bool | None = None


def _name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise BadUserInput(f"Name must be 1-{NAME_MAX} characters", field="name")
    return name


def _description(value: str) -> str | None:
    description = value.strip()
    if len(description) > DESCRIPTION_MAX:
        raise BadUserInput(
            f"Description must be at most {DESCRIPTION_MAX} characters", field="description"
        )
    return description or None


async def create_space(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    name: str,
    description: str | None,
    is_public: bool,
) -> Space:
    """A new space owned by `user`, with its default role and a #general channel."""
    space = Space(
        name=_name(name),
        description=_description(description) if description is not None else None,
        is_public=is_public,
        owner_id=user.id,
    )
    await limiter.hit_write(Write.SPACE, user.id)
    session.add(space)
    await session.flush()
    session.add_all(
        [
            Role(
                space_id=space.id,
                name=DEFAULT_ROLE_NAME,
                position=0,
                permissions=int(DEFAULT_ROLE_PERMISSIONS),
                is_default=True,
            ),
            SpaceMember(space_id=space.id, user_id=user.id),
            Chat(
                kind=ChatKind.CHANNEL, space_id=space.id, title=DEFAULT_CHANNEL, creator_id=user.id
            ),
        ]
    )
    space_membership(session, space.id, user.id, MembershipChange.JOINED)
    await session.commit()
    return space


async def update_space(
    session: AsyncSession, limiter: RateLimiter, user: User, space_id: int, changes: SpaceChanges
) -> Space:
    space = (await require(session, space_id, user.id, Permission.MANAGE_SPACE)).space
    await limiter.hit_write(Write.PROFILE, user.id)
    if changes.name is not None:
        space.name = _name(changes.name)
    if changes.description is not None:
        space.description = _description(changes.description)
    if changes.is_public is not None:
        space.is_public = changes.is_public
    await session.commit()
    return space


async def delete_space(
    session: AsyncSession, attachments_storage: Storage, user: User, space_id: int
) -> bool:
    """Owner only; its channels, messages (and their files), roles and invites go with it."""
    standing = await owner_standing(session, space_id, user.id, "Only the owner can delete a space")
    channels = select(Chat.id).where(Chat.space_id == space_id)
    remove_files = await attachments.delete_with_chats(session, attachments_storage, channels)
    await session.delete(standing.space)
    space_access_changed(session, space_id)
    await session.commit()
    await remove_files()
    return True


async def transfer_ownership(
    session: AsyncSession, limiter: RateLimiter, user: User, space_id: int, new_owner_id: int
) -> Space:
    standing = await owner_standing(
        session, space_id, user.id, "Only the owner can hand over a space"
    )
    if not await is_member(session, space_id, new_owner_id):
        raise NotFound("That user is not a member of this space")
    await limiter.hit_write(Write.SPACE, user.id)
    standing.space.owner_id = new_owner_id
    space_access_changed(session, space_id)
    await session.commit()
    return standing.space


async def join_space(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    space_id: int | None,
    invite_code: str | None,
) -> Space:
    """Join a public space by id, or any space by invite. Joining twice is harmless (and not
    counted against the rate limit)."""
    if (space_id is None) == (invite_code is None):
        raise BadUserInput("Give either spaceId or inviteCode", field="spaceId")
    invite = None
    if invite_code is not None:
        invite = await invites.live_invite(session, invite_code)
        space = await session.get_one(Space, invite.space_id)
    else:
        assert space_id is not None
        space = (await visible_space(session, space_id, user.id)).space
    if await active_ban(session, space.id, user.id):
        raise Forbidden("You are banned from this space")
    if await is_member(session, space.id, user.id):
        return space
    await limiter.hit_write(Write.JOIN, user.id)
    if invite is not None:
        await invites.spend(session, invite)
    session.add(SpaceMember(space_id=space.id, user_id=user.id))
    space_membership(session, space.id, user.id, MembershipChange.JOINED)
    try:
        await session.commit()
    except IntegrityError:  # a concurrent join of the same user got there first
        await session.rollback()
    return space


async def leave_space(session: AsyncSession, user: User, space_id: int) -> bool:
    standing = await member_standing(session, space_id, user.id)
    if standing.is_owner:
        raise Forbidden("Hand the space over to another member before leaving")
    await session.execute(
        delete(SpaceMember).where(SpaceMember.space_id == space_id, SpaceMember.user_id == user.id)
    )
    space_membership(session, space_id, user.id, MembershipChange.LEFT)
    await session.commit()
    return True


async def my_spaces(session: AsyncSession, user: User) -> list[Space]:
    statement = (
        select(Space)
        .join(SpaceMember, SpaceMember.space_id == Space.id)
        .where(SpaceMember.user_id == user.id)
        .order_by(SpaceMember.id)
    )
    return list(await session.scalars(statement))


async def public_spaces(session: AsyncSession, query: str | None, page: PageRequest) -> Page[Space]:
    """Public spaces by name (case-insensitive prefix), ordered by name then id."""
    name_key = func.lower(Space.name)
    statement = select(Space).where(Space.is_public.is_(True))
    if prefix := search_prefix(query):
        statement = statement.where(name_key.like(like_prefix(prefix), escape="\\"))
    if (position := page.position(str, int)) is not None:
        statement = statement.where(tuple_(name_key, Space.id) > tuple_(*position))
    rows = list(await session.scalars(statement.order_by(name_key, Space.id).limit(page.limit + 1)))
    return Page.forward(rows, page, lambda space: (space.name.lower(), space.id))


async def find_visible(session: AsyncSession, user: User, space_id: int) -> Standing | None:
    """The caller's standing in the space if it may see it (member, or public); else None."""
    try:
        return await visible_space(session, space_id, user.id)
    except NotFound:
        return None


async def members(
    session: AsyncSession, standing: Standing, query: str | None, page: PageRequest
) -> Page[SpaceMember]:
    """Members in joining order; with `query`, those whose tag, name or nickname starts so.

    Only members see the member list: anyone else gets an empty page with none around it.
    """
    if not standing.is_member:
        return Page.empty()
    statement = select(SpaceMember).where(SpaceMember.space_id == standing.space.id)
    if prefix := search_prefix(query).lstrip("@"):
        pattern = like_prefix(prefix)
        statement = statement.join(User, User.id == SpaceMember.user_id).where(
            or_(
                User.tag.like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
                func.lower(SpaceMember.nickname).like(pattern, escape="\\"),
            )
        )
    if (position := page.position(int)) is not None:
        statement = statement.where(SpaceMember.id > position[0])
    rows = list(await session.scalars(statement.order_by(SpaceMember.id).limit(page.limit + 1)))
    return Page.forward(rows, page, lambda member: (member.id,))


async def set_space_image(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    limiter: RateLimiter,
    user: User,
    space_id: int,
    file: UploadFile,
    slot: ImageSlot,
) -> Space:
    """MANAGE_SPACE: a new avatar or banner for the space."""
    space = (await require(session, space_id, user.id, Permission.MANAGE_SPACE)).space
    await limiter.hit_write(Write.UPLOAD, user.id)
    await replace_image(session, storage, settings, space, slot, file)
    return space
