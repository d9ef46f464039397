"""Fields that read a DataLoader without a coroutine of their own when the value is there.

An `async def` field costs graphql-core and Strawberry a coroutine (and its awaiting) per
object, even when its loader answers from what the page already loaded. A plain `def`
field returning `when_loaded(...)` gives the value itself then, and an awaitable only
when the loader still has to fetch it.
"""

from asyncio import Future
from collections.abc import Awaitable, Callable
from typing import TypeVar

Loaded = TypeVar("Loaded")
Shown = TypeVar("Shown")


def when_loaded(
    future: "Future[Loaded]", show: Callable[[Loaded], Shown]
) -> Shown | Awaitable[Shown]:
    """`show` of the loaded value: now if `future` is done, else once it is."""
    if future.done():
        return show(future.result())
    return _later(future, show)


async def _later(future: "Future[Loaded]", show: Callable[[Loaded], Shown]) -> Shown:
    return show(await future)
