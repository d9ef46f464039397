"""Roles: creating, changing, deleting, assigning and removing, within the hierarchy."""

import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MemberRole, NotificationKind, Role, SpaceMember, User
from infra.errors import BadUserInput, Forbidden, NotFound
from infra.events import MembershipChange
from infra.rate_limits import RateLimiter, Write
from resolvers.announcements import space_access_changed, space_membership
from resolvers.moderation import Action, record
from resolvers.permissions import (
    Permission,
    Standing,
    member_standing,
    moderation_target,
    require,
)

NAME_MAX = 64
MAX_POSITION = 1000
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class RoleFields:
    name: str
    color: str | None = None
    position: int | None = None
    permissions: Permission | None = None
    mentionable: bool | None = None


async def create_role(
    session: AsyncSession, limiter: RateLimiter, user: User, space_id: int, fields: RoleFields
) -> Role:
    actor = await require(session, space_id, user.id, Permission.MANAGE_ROLES)
    role = Role(space_id=space_id, name="", position=1, permissions=0, mentionable=False)
    _apply(actor, role, fields)
    await limiter.hit_write(Write.ROLE, user.id)
    session.add(role)
    await session.commit()
    return role


async def update_role(
    session: AsyncSession, limiter: RateLimiter, user: User, role_id: int, fields: RoleFields
) -> Role:
    role, actor = await _manageable_role(session, user, role_id)
    await limiter.hit_write(Write.ROLE, user.id)  # before _apply changes the loaded role
    _apply(actor, role, fields)
    space_access_changed(session, role.space_id)
    await session.commit()
    return role


async def delete_role(session: AsyncSession, user: User, role_id: int) -> bool:
    role, _ = await _manageable_role(session, user, role_id)
    if role.is_default:
        raise Forbidden("The default role cannot be deleted")
    await session.delete(role)
    space_access_changed(session, role.space_id)
    await session.commit()
    return True


async def assign_role(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    space_id: int,
    target_id: int,
    role_id: int,
) -> SpaceMember:
    """Give a member a role; giving one they hold is harmless (and not counted)."""
    actor, member, role = await _role_change(session, user, space_id, target_id, role_id)
    if not role.is_default and not await _holds(session, member.id, role.id):
        await limiter.hit_write(Write.MODERATION, user.id)
        session.add(MemberRole(member_id=member.id, role_id=role.id))
        await record(
            session,
            actor,
            target_id,
            Action.ROLE_ASSIGNED,
            role.name,
            NotificationKind.ROLE_ASSIGNED,
        )
        space_membership(session, space_id, target_id, MembershipChange.ROLES_CHANGED)
        await session.commit()
    return member


async def remove_role(
    session: AsyncSession,
    limiter: RateLimiter,
    user: User,
    space_id: int,
    target_id: int,
    role_id: int,
) -> SpaceMember:
    """Take a role back; taking one they do not hold is harmless (and not counted)."""
    actor, member, role = await _role_change(session, user, space_id, target_id, role_id)
    if role.is_default:
        raise Forbidden("The default role cannot be removed from anyone")
    if not await _holds(session, member.id, role.id):
        return member
    await limiter.hit_write(Write.MODERATION, user.id)
    removed = await session.execute(
        delete(MemberRole).where(MemberRole.member_id == member.id, MemberRole.role_id == role.id)
    )
    if removed.rowcount:  # type: ignore[attr-defined]
        await record(
            session, actor, target_id, Action.ROLE_REMOVED, role.name, NotificationKind.ROLE_REMOVED
        )
        space_membership(session, space_id, target_id, MembershipChange.ROLES_CHANGED)
        await session.commit()
    return member


async def roles_of_space(session: AsyncSession, standing: Standing) -> list[Role]:
    """The space's roles, highest first, for its members; none for anyone else."""
    if not standing.is_member:
        return []
    statement = (
        select(Role)
        .where(Role.space_id == standing.space.id)
        .order_by(Role.position.desc(), Role.id)
    )
    return list(await session.scalars(statement))


def _apply(actor: Standing, role: Role, fields: RoleFields) -> None:
    name = fields.name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise BadUserInput(f"Role name must be 1-{NAME_MAX} characters", field="name")
    role.name = name
    if fields.color is not None:
        if fields.color and not COLOR.fullmatch(fields.color):
            raise BadUserInput("Color must look like #RRGGBB", field="color")
        role.color = fields.color.lower() or None
    if fields.position is not None and not role.is_default:
        if not 1 <= fields.position <= MAX_POSITION:
            raise BadUserInput(f"Position must be between 1 and {MAX_POSITION}", field="position")
        role.position = fields.position
    if not actor.can_manage_role(role):
        raise Forbidden("Roles can only be placed below your own highest role")
    if fields.permissions is not None:
        if not actor.may_grant(fields.permissions):
            raise Forbidden("You cannot grant a permission you do not have")
        role.permissions = int(fields.permissions)
    if fields.mentionable is not None:
        role.mentionable = fields.mentionable


async def _manageable_role(
    session: AsyncSession, user: User, role_id: int
) -> tuple[Role, Standing]:
    role = await session.get(Role, role_id)
    if role is None:
        raise NotFound("Role not found")
    actor = await require(session, role.space_id, user.id, Permission.MANAGE_ROLES)
    if not actor.can_manage_role(role):
        raise Forbidden("You can only manage roles below your own highest role")
    return role, actor


async def _role_change(
    session: AsyncSession, user: User, space_id: int, target_id: int, role_id: int
) -> tuple[Standing, SpaceMember, Role]:
    actor = await require(session, space_id, user.id, Permission.MANAGE_ROLES)
    role = await session.get(Role, role_id)
    if role is None or role.space_id != space_id:
        raise NotFound("Role not found")
    target = await moderation_target(session, actor, target_id, Permission.MANAGE_ROLES)
    if target.member is None:
        raise NotFound("That user is not a member of this space")
    if not actor.can_manage_role(role):
        raise Forbidden("You can only hand out or take back roles below your own")
    return actor, target.member, role


async def _holds(session: AsyncSession, member_id: int, role_id: int) -> bool:
    found = await session.scalar(
        select(MemberRole.role_id).where(
            MemberRole.member_id == member_id, MemberRole.role_id == role_id
        )
    )
    return found is not None


async def find_visible_role(session: AsyncSession, user: User, role_id: int) -> Role | None:
    """A role of a space the caller is a member of; otherwise None."""
    role = await session.get(Role, role_id)
    if role is None:
        return None
    try:
        await member_standing(session, role.space_id, user.id)
    except (NotFound, Forbidden):
        return None
    return role
