"""Who of a batch of users is online, in one presence-store round trip per batch."""

from collections.abc import Sequence

from aiodataloader import DataLoader

from infra.presence import PresenceStore

MAX_BATCH = 1000  # keeps a Redis script's argument list well within Lua's limits


class OnlineLoader(DataLoader[int, bool]):
    def __init__(self, store: PresenceStore) -> None:
        super().__init__(max_batch_size=MAX_BATCH)
        self.store = store

    async def batch_load_fn(self, keys: Sequence[int]) -> list[bool]:
        online = await self.store.online(keys)
        return [key in online for key in keys]
