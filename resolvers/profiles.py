"""Reading and changing user profiles."""

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SpaceMember, User
from infra.errors import BadUserInput, Conflict
from infra.rate_limits import RateLimiter, Write
from infra.settings import Settings
from infra.storage import Storage
from resolvers import validation
from resolvers.permissions import visible_space
from resolvers.text import like_prefix, search_prefix
from resolvers.uploads import ImageSlot, UploadFile, replace_image

SEARCH_MAX = 50


async def user_by_tag(session: AsyncSession, tag: str) -> User | None:
    return await session.scalar(select(User).where(User.tag == tag.strip().lower()))


async def update_profile(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    *,
    display_name: str | None = None,
    bio: str | None = None,
    tag: str | None = None,
) -> User:
    """Change the given fields (None leaves a field as it is; an empty bio clears it)."""
    await limiter.hit_write(Write.PROFILE, user.id)
    if display_name is not None:
        user.display_name = validation.display_name(display_name)
    if bio is not None:
        user.bio = validation.bio(bio)
    if tag is not None:
        new_tag = validation.tag(tag)
        if new_tag != user.tag:
            if await session.scalar(select(User.id).where(User.tag == new_tag)):
                raise Conflict("This tag is already taken", field="tag")
            user.tag = new_tag
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent update took the tag first
        await session.rollback()
        raise Conflict("This tag is already taken", field="tag") from exc
    return user


async def search_users(
    session: AsyncSession, viewer: User, query: str, first: int, space_id: int | None = None
) -> list[User]:
    """Users whose tag or display name starts with `query` (case-insensitive); with a space
    the caller can see, that space's members come first (for @-autocomplete)."""
    if not 1 <= first <= SEARCH_MAX:
        raise BadUserInput(f"first must be between 1 and {SEARCH_MAX}", field="first")
    prefix = search_prefix(query).lstrip("@")
    if not prefix:
        return []
    pattern = like_prefix(prefix)
    ranking = []
    if space_id is not None:
        await visible_space(session, space_id, viewer.id)
        is_member = (
            select(SpaceMember.id)
            .where(SpaceMember.space_id == space_id, SpaceMember.user_id == User.id)
            .exists()
        )
        ranking.append(case((is_member, 0), else_=1))
    statement = (
        select(User)
        .where(
            or_(
                User.tag.like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
        .order_by(*ranking, func.length(User.tag), User.tag)
        .limit(first)
    )
    return list(await session.scalars(statement))


async def set_profile_image(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    limiter: RateLimiter,
    user: User,
    file: UploadFile,
    slot: ImageSlot,
) -> User:
    """Store a new avatar or banner image and point the profile at it."""
    await limiter.hit_write(Write.UPLOAD, user.id)
    await replace_image(session, storage, settings, user, slot, file)
    return user
