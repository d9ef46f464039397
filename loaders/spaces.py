"""Per-space aggregates, one SELECT per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SpaceMember


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
