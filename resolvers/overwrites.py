"""Per-channel permission overwrites: what a role is allowed or denied in one channel.

How they combine with the space's roles is decided in resolvers.permissions
(`channel_permissions`); here they are set and listed.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChannelOverwrite, Chat, Role, User
from infra.errors import BadUserInput, Forbidden, NotFound
from infra.rate_limits import RateLimiter, Write
from resolvers.announcements import chat_access_changed
from resolvers.chats import managed_channel
from resolvers.permissions import CHANNEL_PERMISSIONS, ChatAccess, Overwrite, Permission


@dataclass(frozen=True)
class RoleOverwrite:
    role: Role
    overwrite: Overwrite


async def set_channel_permissions(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    chat_id: int,
    role_id: int,
    allow: Permission,
    deny: Permission,
) -> Chat:
    """Set one role's overwrite in a channel; both empty removes it.

    MANAGE_CHANNELS, and only for roles below the caller's highest (the role hierarchy), and
    only permissions the caller has there: no one hands out, in a channel, what they lack.
    Subscribers of the channel re-check their rights at once (those who lost it are ended).
    """
    access = await managed_channel(session, user, chat_id)
    standing = access.standing
    assert standing is not None  # a channel's access has the member's standing
    _validate(allow, deny)
    role = await session.get(Role, role_id)
    if role is None or role.space_id != access.chat.space_id:
        raise NotFound("Role not found")
    if not standing.can_manage_role(role):
        raise Forbidden("You can only set overwrites for roles below your highest role")
    if (allow | deny) & ~access.permissions:
        raise Forbidden("You can only allow or deny permissions you have in this channel")
    await limiter.hit_write(Write.CHANNEL, user.id)
    row = await session.get(ChannelOverwrite, (access.chat.id, role.id))
    if not allow and not deny:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(
            ChannelOverwrite(chat_id=access.chat.id, role_id=role.id, allow=allow, deny=deny)
        )
    else:
        row.allow, row.deny = int(allow), int(deny)
    chat_access_changed(session, access.chat.id)
    await session.commit()
    return access.chat


async def channel_overwrites(session: AsyncSession, access: ChatAccess) -> list[RoleOverwrite]:
    """A channel's overwrites, highest role first, for a member who may manage channels;
    none for anyone else (and none for DIRECT and GROUP chats)."""
    if access.standing is None or not access.may(Permission.MANAGE_CHANNELS):
        return []
    rows = await session.execute(
        select(Role, ChannelOverwrite.allow, ChannelOverwrite.deny)
        .join(ChannelOverwrite, ChannelOverwrite.role_id == Role.id)
        .where(ChannelOverwrite.chat_id == access.chat.id)
        .order_by(Role.position.desc(), Role.id)
    )
    return [
        RoleOverwrite(role, Overwrite(Permission(allow), Permission(deny)))
        for role, allow, deny in rows
    ]


def _validate(allow: Permission, deny: Permission) -> None:
    for field, flags in (("allow", allow), ("deny", deny)):
        if outside := flags & ~CHANNEL_PERMISSIONS:
            names = ", ".join(flag.name or "" for flag in Permission if flag in outside)
            raise BadUserInput(
                f"Only channel-scoped permissions can be overwritten, not {names}", field=field
            )
    if both := allow & deny:
        names = ", ".join(flag.name or "" for flag in Permission if flag in both)
        raise BadUserInput(f"{names} cannot be both allowed and denied", field="deny")
