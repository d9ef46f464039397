"""Work that every subscription one published event wakes would repeat, done once per event.

A message sent to a channel with a hundred open `chatEvents` subscriptions in this process
wakes a hundred generators (and a presence change, every `presence(spaceId)` watcher of the
space). Each must re-check its subscriber's rights and render the event; done separately
that is a few statements each. Here the first of them to reach the event asks, in one batch,
which of the chat's (or space's) watchers in this process may still see it, and loads the
message or user once; the others wait for and reuse those answers. Nothing outlives its
event (the answers hang off it, see infra.broadcast.Published), so rights are still read anew
for every event.
"""

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.base import Base
from db.models import Message, User
from infra.broadcast import Published
from loaders import Loaders
from loaders.messages import load_with_authors
from resolvers.permissions import blocked_among, blockers_among, granted_among, readers_among

# Users per statement: PostgreSQL takes at most 32,767 parameters in one, and a busy channel
# can have more watchers than that in one process.
CHECK_CHUNK = 5000


Row = TypeVar("Row", bound=Base)
Scope = tuple[str, int]  # ("chat", chat id) or ("space", space id)
Check = Callable[[AsyncSession, int, list[int]], Awaitable[set[int]]]


class EventBatch:
    """Process-wide: who watches which chat or space here, and each event's shared answers."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._watchers: defaultdict[Scope, Counter[int]] = defaultdict(Counter)

    def watching_chat(self, chat_id: int, user_id: int) -> AbstractContextManager[None]:
        """Count `user_id` among the chat's watchers while their subscription is open."""
        return self._watching(("chat", chat_id), user_id)

    def watching_space(self, space_id: int, user_id: int) -> AbstractContextManager[None]:
        """Count `user_id` among the space's watchers while their subscription is open."""
        return self._watching(("space", space_id), user_id)

    async def may_read(self, event: Published, chat_id: int, user_id: int) -> bool:
        """Whether `user_id` may read the chat now: one batch for all of its watchers."""
        return await self._batched(event, ("chat", chat_id), user_id, readers_among)

    async def is_member(self, event: Published, space_id: int, user_id: int) -> bool:
        """Whether `user_id` belongs to the space now: one batch for all of its watchers."""
        return await self._batched(event, ("space", space_id), user_id, _members)

    async def has_blocked(
        self, event: Published, scope: Scope, user_id: int, other_id: int
    ) -> bool:
        """Whether watcher `user_id` has blocked `other_id` (the author of a chat event): one
        batch for all of the watchers of `scope`."""

        async def check(session: AsyncSession, _: int, user_ids: list[int]) -> set[int]:
            return await blockers_among(session, user_ids, other_id)

        return await self._batched(event, scope, user_id, check, key=("blocker", *scope, other_id))

    async def is_blocked_by(
        self, event: Published, scope: Scope, user_id: int, other_id: int
    ) -> bool:
        """Whether `other_id` (whom the event is about) has blocked watcher `user_id`: one
        batch for all of the watchers of `scope`."""

        async def check(session: AsyncSession, _: int, user_ids: list[int]) -> set[int]:
            return await blocked_among(session, other_id, user_ids)

        return await self._batched(event, scope, user_id, check, key=("blocked", *scope, other_id))

    async def message(
        self, event: Published, message_id: int
    ) -> tuple[Message, User | None] | None:
        """The message (None if gone) and its author, loaded once for every subscriber.

        The rows are detached and shared: read them, never change them.
        """
        return await event.once(("message", message_id), lambda: self._message(message_id))

    async def user(self, event: Published, user_id: int) -> User | None:
        """A user row loaded once for every subscriber (detached and shared: read only)."""
        return await event.once(("user", user_id), lambda: self._row(User, user_id))

    async def row(self, event: Published, model: type[Row], pk: int) -> Row | None:
        """A row by primary key, loaded once for every subscriber (detached: read only)."""
        return await event.once((model.__name__, pk), lambda: self._row(model, pk))

    def prime(self, event: Published, loaders: Loaders) -> None:
        """Give `loaders` the users this event loaded already, so that rendering it does not
        load them again."""
        for key, future in event.shared.items():
            if not future.done() or future.cancelled() or future.exception() is not None:
                continue
            kind, found = key[0] if isinstance(key, tuple) else None, future.result()
            if kind == "message" and found is not None and found[1] is not None:
                loaders.users.prime(found[1].id, found[1])
            elif kind == "user" and found is not None:
                loaders.users.prime(found.id, found)

    @contextmanager
    def _watching(self, scope: Scope, user_id: int) -> Iterator[None]:
        self._watchers[scope][user_id] += 1
        try:
            yield
        finally:
            watchers = self._watchers[scope]
            watchers[user_id] -= 1
            if watchers[user_id] <= 0:
                del watchers[user_id]
            if not watchers:
                del self._watchers[scope]

    async def _batched(
        self,
        event: Published,
        scope: Scope,
        user_id: int,
        check: Check,
        *,
        key: tuple[object, ...] | None = None,
    ) -> bool:
        """Whether `check` passes `user_id`, asked once per event (under `key`, by default
        the scope) for every watcher of `scope`."""

        def everyone() -> Awaitable[tuple[frozenset[int], set[int]]]:
            # Only the first caller's work runs: the watchers are gathered once per event.
            watchers = {*self._watchers.get(scope, ()), user_id}
            return self._check(check, scope, watchers)

        asked, passed = await event.once(key or scope, everyone)
        if user_id not in asked:  # began watching after the batch was asked for
            _, passed = await self._check(check, scope, {user_id})
        return user_id in passed

    async def _check(
        self, check: Check, scope: Scope, user_ids: Iterable[int]
    ) -> tuple[frozenset[int], set[int]]:
        asked = frozenset(user_ids)
        ordered = sorted(asked)
        passed: set[int] = set()
        async with self.sessionmaker() as session:
            for start in range(0, len(ordered), CHECK_CHUNK):
                passed |= await check(session, scope[1], ordered[start : start + CHECK_CHUNK])
        return asked, passed

    async def _message(self, message_id: int) -> tuple[Message, User | None] | None:
        async with self.sessionmaker() as session:
            found = await load_with_authors(session, Message.id == message_id)
        return found[0] if found else None

    async def _row(self, model: type[Row], pk: int) -> Row | None:
        async with self.sessionmaker() as session:
            return await session.get(model, pk)


async def _members(session: AsyncSession, space_id: int, user_ids: list[int]) -> set[int]:
    return set(await granted_among(session, space_id, user_ids))
