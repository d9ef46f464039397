"""Per-viewer yes/no answers about a batch of users (blocked by the viewer, presence shown
to the viewer, ...), each from one call of a permission function per batch."""

from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

# (session, viewer id, user ids) -> those of the users for which the answer is yes.
Among = Callable[[AsyncSession, int, Iterable[int]], Awaitable[set[int]]]


class ViewerAmongLoader(DataLoader[int, bool]):
    """Whether each user is among those `among` picks for the viewer; no one without one."""

    def __init__(self, session: AsyncSession, viewer_id: int | None, among: Among) -> None:
        super().__init__()
        self.session, self.viewer_id, self.among = session, viewer_id, among

    async def batch_load_fn(self, keys: Sequence[int]) -> list[bool]:
        if self.viewer_id is None:
            return [False for _ in keys]
        picked = await self.among(self.session, self.viewer_id, keys)
        return [key in picked for key in keys]
