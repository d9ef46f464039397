"""Users by id, one SELECT per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User


class UserLoader(DataLoader[int, User | None]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[int]) -> list[User | None]:
        rows = await self.session.scalars(select(User).where(User.id.in_(keys)))
        by_id = {row.id: row for row in rows}
        return [by_id.get(key) for key in keys]
