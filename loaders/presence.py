"""Who of a batch of users is online, in one presence-store round trip per batch, and whose
presence the viewer may see, in at most three statements per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from infra.presence import PresenceStore
from resolvers.permissions import presence_visible_among

MAX_BATCH = 1000  # keeps a Redis script's argument list well within Lua's limits


class OnlineLoader(DataLoader[int, bool]):
    def __init__(self, store: PresenceStore) -> None:
        super().__init__(max_batch_size=MAX_BATCH)
        self.store = store

    async def batch_load_fn(self, keys: Sequence[int]) -> list[bool]:
        online = await self.store.online(keys)
        return [key in online for key in keys]


class PresenceVisibleLoader(DataLoader[int, bool]):
    """Whether the viewer may see each user's presence (resolvers.permissions.presence)."""

    def __init__(self, session: AsyncSession, viewer_id: int | None) -> None:
        super().__init__()
        self.session, self.viewer_id = session, viewer_id

    async def batch_load_fn(self, keys: Sequence[int]) -> list[bool]:
        if self.viewer_id is None:
            return [False for _ in keys]
        visible = await presence_visible_among(self.session, self.viewer_id, keys)
        return [key in visible for key in keys]
