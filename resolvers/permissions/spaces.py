"""Space rights, role hierarchy and ownership: a user's standing in one space.

A member's permissions come from the roles held (the default one included); rank is the
highest role position, and the owner outranks everyone.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Ban, MemberRole, Role, Space, SpaceMember
from infra.errors import Forbidden, NotFound
from resolvers.permissions.flags import Permission, effective_permissions

OWNER_RANK = 2**31  # above every role position


@dataclass(frozen=True)
class HeldRoles:
    """The roles a member holds in a space: per-channel overwrites are set per role."""

    default_id: int | None  # the space's default role, which every member holds
    others: frozenset[int]  # the roles given to the member


@dataclass(frozen=True)
class Standing:
    """A user's place in one space: membership, effective permissions and rank."""

    space: Space
    user_id: int
    member: SpaceMember | None
    granted: Permission
    rank: int  # highest role position (the owner outranks everyone); -1 for non-members
    roles: "HeldRoles" = field(default_factory=lambda: HeldRoles(None, frozenset()))

    @property
    def is_owner(self) -> bool:
        return self.space.owner_id == self.user_id

    @property
    def is_member(self) -> bool:
        return self.member is not None

    @property
    def permissions(self) -> Permission:
        if not self.is_member:
            return Permission(0)
        return effective_permissions(self.granted, is_owner=self.is_owner)

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    def outranks(self, other: "Standing") -> bool:
        """Whether this member may act on `other` (kick, ban, change roles)."""
        return not other.is_owner and self.rank > other.rank

    def can_manage_role(self, role: Role) -> bool:
        """Whether this member may change, hand out or take back `role`: only below its own."""
        return self.is_owner or self.rank > role.position

    def may_grant(self, permissions: Permission) -> bool:
        """Whether a role this member edits may carry `permissions`: only ones it has."""
        return not permissions & ~self.permissions


async def granted_among(
    session: AsyncSession, space_id: int, user_ids: Sequence[int]
) -> dict[int, Permission]:
    """The members among `user_ids`, each with what their roles grant: one statement
    reading columns, no rows loaded (a busy channel checks thousands per event)."""
    rows = await session.execute(
        select(SpaceMember.user_id, Role.permissions)
        .outerjoin(Role, held_roles())
        .where(SpaceMember.space_id == space_id, SpaceMember.user_id.in_(user_ids))
    )
    granted: dict[int, Permission] = {}
    for user_id, bits in rows:
        granted[user_id] = granted.get(user_id, Permission(0)) | Permission(bits or 0)
    return granted


async def standing(session: AsyncSession, space: Space, user_id: int) -> Standing:
    return (await standings(session, [space], user_id))[0]


async def standings(session: AsyncSession, spaces: Sequence[Space], user_id: int) -> list[Standing]:
    """One user's standing in each of `spaces`, in one statement whatever their number."""
    found = await memberships(session, [space.id for space in spaces], [user_id])
    return [standing_from(space, user_id, found.get((space.id, user_id))) for space in spaces]


@dataclass(frozen=True)
class Membership:
    member: SpaceMember
    granted: Permission
    rank: int  # highest role position
    roles: HeldRoles


async def memberships(
    session: AsyncSession, space_ids: Sequence[int], user_ids: Sequence[int]
) -> dict[tuple[int, int], Membership]:
    """Membership, granted permissions and rank per (space id, user id) that is a member."""
    rows = await session.execute(
        select(SpaceMember, *ROLE_COLUMNS)
        .outerjoin(Role, held_roles())
        .where(SpaceMember.space_id.in_(space_ids), SpaceMember.user_id.in_(user_ids))
    )
    return memberships_from(rows)


# What `memberships_from` reads of each role held, after the member.
ROLE_COLUMNS = (Role.id, Role.is_default, Role.permissions, Role.position)
RoleRow = tuple[SpaceMember, int | None, bool | None, int | None, int | None]


def held_roles() -> ColumnElement[bool]:
    """To outer-join Role on SpaceMember: the roles the member holds, the default included."""
    held = select(MemberRole.role_id).where(MemberRole.member_id == SpaceMember.id)
    return (Role.space_id == SpaceMember.space_id) & (Role.is_default.is_(True) | Role.id.in_(held))


def memberships_from(rows: Iterable[RoleRow]) -> dict[tuple[int, int], Membership]:
    """Memberships from (member, *ROLE_COLUMNS) rows, as `held_roles` joins them: one row
    per role held."""
    found: dict[tuple[int, int], Membership] = {}
    for member, role_id, is_default, bits, position in rows:
        key = (member.space_id, member.user_id)
        known = found.get(key) or Membership(member, Permission(0), 0, HeldRoles(None, frozenset()))
        roles = known.roles
        if role_id is not None:
            roles = (
                HeldRoles(role_id, roles.others)
                if is_default
                else HeldRoles(roles.default_id, roles.others | {role_id})
            )
        found[key] = Membership(
            member,
            known.granted | Permission(bits or 0),
            max(known.rank, position or 0),
            roles,
        )
    return found


async def is_member(session: AsyncSession, space_id: int, user_id: int) -> bool:
    return (space_id, user_id) in await memberships(session, [space_id], [user_id])


def standing_from(space: Space, user_id: int, membership: Membership | None) -> Standing:
    if membership is None:
        return Standing(space, user_id, None, Permission(0), -1)
    rank = OWNER_RANK if space.owner_id == user_id else membership.rank
    return Standing(space, user_id, membership.member, membership.granted, rank, membership.roles)


async def visible_space(session: AsyncSession, space_id: int, user_id: int) -> Standing:
    """The caller's standing in a space it may see (a member, or the space is public).

    Anything else answers NOT_FOUND, so private spaces do not reveal that they exist.
    """
    space = await session.get(Space, space_id)
    if space is None:
        raise NotFound("Space not found")
    result = await standing(session, space, user_id)
    if not result.is_member and not space.is_public:
        raise NotFound("Space not found")
    return result


async def member_standing(session: AsyncSession, space_id: int, user_id: int) -> Standing:
    """The caller's standing as a member; FORBIDDEN for a visible space it has not joined."""
    result = await visible_space(session, space_id, user_id)
    if not result.is_member:
        raise Forbidden("Join the space first")
    return result


def _action_refusal(actor: Standing, target: Standing, power: Permission) -> Forbidden | None:
    """Why `actor` may not use `power` (KICK_MEMBERS, BAN_MEMBERS, MANAGE_ROLES) on
    `target`, or None: it needs the power, and never on oneself, only on someone ranked
    below (the owner never)."""
    if not actor.has(power):
        return Forbidden(f"Missing permission {power.name}", permission=power.name)
    if target.user_id == actor.user_id:
        return Forbidden("You cannot do this to yourself")
    if not actor.outranks(target):
        return Forbidden("You can only act on members ranked below you")
    return None


def may_kick(actor: Standing, target: Standing) -> bool:
    return _action_refusal(actor, target, Permission.KICK_MEMBERS) is None


def may_ban(actor: Standing, target: Standing) -> bool:
    return _action_refusal(actor, target, Permission.BAN_MEMBERS) is None


def may_manage_roles_of(actor: Standing, target: Standing) -> bool:
    """Whether `actor` may give `target` roles or take them back (each role must also be
    below the actor's own: `Standing.can_manage_role`)."""
    return _action_refusal(actor, target, Permission.MANAGE_ROLES) is None


async def moderation_target(
    session: AsyncSession, actor: Standing, target_id: int, power: Permission
) -> Standing:
    """The standing of whom `actor` kicks, bans or changes the roles of with `power`,
    provided it may (the rule of `may_kick`, `may_ban` and `may_manage_roles_of`)."""
    target = await standing(session, actor.space, target_id)
    if (refusal := _action_refusal(actor, target, power)) is not None:
        raise refusal
    return target


def standing_of_member(space: Space, member: SpaceMember, roles: Sequence[Role]) -> Standing:
    """A member's standing from the roles it holds (the default one included), as
    `standing` would read it: for a list of members, whose roles a loader brings."""
    granted = Permission(0)
    for role in roles:
        granted |= Permission(role.permissions)
    default_id = next((role.id for role in roles if role.is_default), None)
    others = frozenset(role.id for role in roles if not role.is_default)
    rank = max((role.position for role in roles), default=0)
    membership = Membership(member, granted, rank, HeldRoles(default_id, others))
    return standing_from(space, member.user_id, membership)


async def owner_standing(
    session: AsyncSession, space_id: int, user_id: int, refusal: str
) -> Standing:
    """The caller's standing, provided it owns the space; FORBIDDEN (`refusal`) otherwise."""
    result = await member_standing(session, space_id, user_id)
    if not result.is_owner:
        raise Forbidden(refusal)
    return result


async def require(
    session: AsyncSession, space_id: int, user_id: int, permission: Permission
) -> Standing:
    """The caller's standing, provided it is a member holding `permission`."""
    result = await member_standing(session, space_id, user_id)
    if not result.has(permission):
        raise Forbidden(f"Missing permission {permission.name}", permission=permission.name)
    return result


async def active_ban(session: AsyncSession, space_id: int, user_id: int) -> Ban | None:
    """The ban keeping a user out of a space, unless it has expired."""
    return await session.scalar(
        select(Ban).where(
            Ban.space_id == space_id,
            Ban.user_id == user_id,
            (Ban.expires_at.is_(None)) | (Ban.expires_at > utcnow()),
        )
    )
