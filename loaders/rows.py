"""Rows by primary key, one SELECT per batch (and none for a row the unit primed)."""

from collections.abc import Sequence
from typing import Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, Space, User

Row = TypeVar("Row", Chat, Space, User)


class RowLoader(DataLoader[int, Row | None], Generic[Row]):
    def __init__(self, session: AsyncSession, model: type[Row]) -> None:
        super().__init__()
        self.session = session
        self.model: type[Row] = model

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Row | None]:
        rows = await self.session.scalars(select(self.model).where(self.model.id.in_(keys)))
        by_id = {row.id: row for row in rows}
        return [by_id.get(key) for key in keys]
