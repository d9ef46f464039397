"""A chat's pinned messages, one statement for every chat of a response."""

from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Message
from loaders.users import UserLoader
from resolvers import pins


class PinnedMessagesLoader(DataLoader[int, list[Message]]):
    """By chat id, most recently pinned first; their authors are primed into `users`.
    Only for chats the viewer may read."""

    def __init__(self, session: AsyncSession, users: UserLoader) -> None:
        super().__init__()
        self.session, self.users = session, users

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Message]]:
        found = await pins.pinned_messages(self.session, keys)
        for rows in found.values():
            for _, author in rows:
                if author is not None:
                    self.users.prime(author.id, author)
        return [[message for message, _ in found[key]] for key in keys]
