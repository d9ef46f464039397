"""Publishing events after a commit, so that subscribers (in any process) hear of them.

An event carries the kind of change and ids, never rendered data: each subscriber loads
what its own query asks for, with its own rights, when the event arrives.
"""

import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.broadcast import FanOut
from resolvers.outbox import take_committed

logger = logging.getLogger(__name__)


class Events:
    def __init__(self, fan_out: FanOut, namespace: str) -> None:
        self.fan_out = fan_out
        self.namespace = namespace

    def channel(self, topic: str) -> str:
        """The broadcast channel of a topic (see resolvers.outbox), within this deployment."""
        return f"{self.namespace}:{topic}"

    async def publish(self, topic: str, kind: str, **payload: Any) -> None:
        """Best effort: the change is committed already; a broadcast outage is logged."""
        try:
            await self.fan_out.publish(self.channel(topic), json.dumps({"kind": kind, **payload}))
        except Exception:
            logger.warning("could not publish %s on %s", kind, topic, exc_info=True)

    async def publish_committed(self, session: AsyncSession) -> None:
        """Publish, in order, what the session's committed transactions announced."""
        for announcement in take_committed(session):
            await self.publish(announcement.topic, announcement.kind, **announcement.payload)


def decode(message: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(message)
    return payload
