"""Messages' edit histories, one statement for every message of a response."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MessageRevision
from resolvers import revisions


class EditHistoryLoader(DataLoader[int, list[MessageRevision]]):
    """By message id, oldest first. Only for messages the viewer may read."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[MessageRevision]]:
        found = await revisions.histories(self.session, keys)
        return [found[key] for key in keys]
