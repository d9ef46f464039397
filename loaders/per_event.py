"""Work that every subscription one published event wakes would repeat, done once per event.

A message sent to a channel with a hundred open `chatEvents` subscriptions in this process
wakes a hundred generators. Each must re-check its subscriber's rights and render the
message; done separately that is a few statements each. Here the first of them to reach
the event asks, in one batch, which of the chat's watchers in this process may read it, and
loads the message once; the others wait for and reuse those answers. Nothing outlives its
event (the answers hang off it, see app.broadcast.Published), so rights are still read anew
for every event.
"""

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.broadcast import Published
from db.models import Chat, Message, User
from loaders.messages import load_with_authors
from resolvers.chat_access import viewers_among

T = TypeVar("T")


class PerEvent:
    """Process-wide: who watches which chat here, and each event's shared answers."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._watchers: defaultdict[int, Counter[int]] = defaultdict(Counter)

    @contextmanager
    def watching(self, chat_id: int, user_id: int) -> Iterator[None]:
        """Count `user_id` among the chat's watchers while a subscription of theirs is open."""
        self._watchers[chat_id][user_id] += 1
        try:
            yield
        finally:
            watchers = self._watchers[chat_id]
            watchers[user_id] -= 1
            if watchers[user_id] <= 0:
                del watchers[user_id]
            if not watchers:
                del self._watchers[chat_id]

    async def may_read(self, event: Published, chat_id: int, user_id: int) -> bool:
        """Whether `user_id` may read the chat now: one batch for all of its watchers."""
        watchers = frozenset(self._watchers.get(chat_id, ())) | {user_id}
        asked, readers = await _once(
            event, ("readers", chat_id), lambda: self._readers(chat_id, watchers)
        )
        if user_id not in asked:  # began watching after the batch was asked for
            _, readers = await self._readers(chat_id, {user_id})
        return user_id in readers

    async def message(
        self, event: Published, message_id: int
    ) -> tuple[Message, User | None] | None:
        """The message (None if gone) and its author, loaded once for every subscriber.

        The rows are detached and shared: read them, never change them.
        """
        return await _once(event, ("message", message_id), lambda: self._message(message_id))

    async def _readers(
        self, chat_id: int, user_ids: Iterable[int]
    ) -> tuple[frozenset[int], set[int]]:
        asked = frozenset(user_ids)
        async with self.sessionmaker() as session:
            chat = await session.get(Chat, chat_id)
            readers = await viewers_among(session, chat, list(asked)) if chat else set()
        return asked, readers

    async def _message(self, message_id: int) -> tuple[Message, User | None] | None:
        async with self.sessionmaker() as session:
            found = await load_with_authors(session, Message.id == message_id)
        return found[0] if found else None


async def _once(event: Published, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
    """`work`'s result, started by the first caller for this event and key.

    It runs as a task of its own, so a caller that goes away (its socket closed) does not
    cancel it for the others.
    """
    future: asyncio.Future[Any] | None = event.shared.get(key)
    if future is None:
        future = event.shared[key] = asyncio.ensure_future(work())
        future.add_done_callback(_retrieve)
    result: T = await asyncio.shield(future)
    return result


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a failure seen: the callers that were waiting got it already (or left)."""
    if not future.cancelled():
        future.exception()
