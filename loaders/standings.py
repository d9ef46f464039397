"""The signed-in user's standing per space, batched across every space a response shows."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Space
from resolvers.permissions import Standing, standings


class StandingLoader(DataLoader[Space, Standing]):
    def __init__(self, session: AsyncSession, user_id: int) -> None:
        super().__init__(get_cache_key=lambda space: space.id)
        self.session = session
        self.user_id = user_id

    async def batch_load_fn(self, keys: Sequence[Space]) -> list[Standing]:
        return await standings(self.session, keys, self.user_id)
