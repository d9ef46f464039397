"""Whether the viewer has blocked each of a batch of users, one SELECT per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.permissions import blocked_among


class ViewerBlockedLoader(DataLoader[int, bool]):
    def __init__(self, session: AsyncSession, viewer_id: int | None) -> None:
        super().__init__()
        self.session, self.viewer_id = session, viewer_id

    async def batch_load_fn(self, keys: Sequence[int]) -> list[bool]:
        if self.viewer_id is None:
            return [False for _ in keys]
        blocked = await blocked_among(self.session, self.viewer_id, keys)
        return [key in blocked for key in keys]
