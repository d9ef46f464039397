"""Publishing events after a commit, so that subscribers (in any process) hear of them.

An event carries the kind of change and ids, never rendered data: each subscriber loads
what its own query asks for, with its own rights, when the event arrives.
"""

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.broadcast import FanOut
from resolvers.outbox import Announcement, take_committed

logger = logging.getLogger(__name__)

LOG_AT_MOST = 5  # events named when a batch is lost (a mention of @everyone is one per member)


class Events:
    def __init__(self, fan_out: FanOut, namespace: str) -> None:
        self.fan_out = fan_out
        self.namespace = namespace

    def channel(self, topic: str) -> str:
        """The broadcast channel of a topic (see resolvers.outbox), within this deployment."""
        return f"{self.namespace}:{topic}"

    async def publish(self, topic: str, kind: str, **payload: Any) -> None:
        """Best effort: the change is committed already; a broadcast outage is logged."""
        await self.publish_all([Announcement(topic, kind, payload)])

    async def publish_all(self, announcements: Sequence[Announcement]) -> None:
        """`publish` each, in order, together: a Redis that does not answer delays the
        caller once, not once per event (a message in a DM is three events)."""
        if not announcements:
            return
        messages = [
            (self.channel(each.topic), json.dumps({"kind": each.kind, **each.payload}))
            for each in announcements
        ]
        try:
            await self.fan_out.publish_all(messages)
        except Exception:
            lost = ", ".join(f"{each.kind} on {each.topic}" for each in announcements[:LOG_AT_MOST])
            more = len(announcements) - LOG_AT_MOST
            logger.warning(
                "could not publish %s%s",
                lost,
                f" and {more} more" if more > 0 else "",
                exc_info=True,
            )

    async def publish_committed(self, session: AsyncSession) -> None:
        """Publish, in order, what the session's committed transactions announced."""
        await self.publish_all(take_committed(session))
