"""Per-space aggregates, one SELECT per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MemberRole, Role, SpaceMember


class MemberCountLoader(DataLoader[int, int]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        rows = await self.session.execute(
            select(SpaceMember.space_id, func.count())
            .where(SpaceMember.space_id.in_(keys))
            .group_by(SpaceMember.space_id)
        )
        counts: dict[int, int] = {space_id: count for space_id, count in rows}
        return [counts.get(key, 0) for key in keys]


class MemberRolesLoader(DataLoader[int, list[Role]]):
    """A member's roles (the space's default role included), highest first, by member id."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Role]]:
        assigned = select(MemberRole.role_id).where(MemberRole.member_id == SpaceMember.id)
        rows = await self.session.execute(
            select(SpaceMember.id, Role)
            .join(Role, Role.space_id == SpaceMember.space_id)
            .where(SpaceMember.id.in_(keys), Role.is_default.is_(True) | Role.id.in_(assigned))
            .order_by(Role.position.desc(), Role.id)
        )
        by_member: dict[int, list[Role]] = {key: [] for key in keys}
        for member_id, role in rows:
            by_member[member_id].append(role)
        return [by_member[key] for key in keys]
