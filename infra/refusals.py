"""A client address whose requests keep being refused is refused before they cost anything.

Each refused request is cheap, but not free: a document of 5,000 tokens takes graphql-core
tens of milliseconds to parse before the token limit refuses it, and a loop of them from
one host would take a share of the event loop from everyone else. A well-behaved client
seldom sends a request that is refused outright, so an address past its budget of refusals
gets HTTP 429 (RATE_LIMITED, with `retryAfter` and Retry-After) for the rest of the window,
answered before its body is read.

Refused: HTTP 400 or 413 (not a GraphQL request, too large), or a GraphQL answer without
data whose every error is BAD_USER_INPUT or UNAUTHENTICATED (the schema layer marks those,
see `mark_refused`). Counted per process, in memory: the point is this process's time, and
checking costs no round trip.
"""

import json
import math
import time

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFUSED_STATUSES = frozenset({400, 413})
_REFUSED = "refused"  # the scope state key the schema layer sets


def mark_refused(scope: Scope) -> None:
    """The request answered, but achieved nothing by the caller's fault."""
    scope.setdefault("state", {})[_REFUSED] = True


class RefusalThrottle:
    def __init__(self, app: ASGIApp, budget: RateLimitItem) -> None:
        self.app = app
        self.budget = budget
        self.limiter = FixedWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else "unknown"
        if not await self.limiter.test(self.budget, address):
            await self._too_many(address, send)
            return
        status = 0

        async def tracked_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, tracked_send)
        if status in REFUSED_STATUSES or scope.get("state", {}).get(_REFUSED):
            await self.limiter.hit(self.budget, address)

    async def _too_many(self, address: str, send: Send) -> None:
        reset_at, _ = await self.limiter.get_window_stats(self.budget, address)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        error = {
            "message": "Too many refused requests from this address; try again later",
            "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
        }
        body = json.dumps({"errors": [error]}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
            # Closing spares reading the rest of a body it was sent (500 KB of "[", say).
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
