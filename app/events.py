"""Events published after a commit, so that subscribers (in any process) hear of it.

An event carries the kind of change and ids, never rendered data: each subscriber loads
what its own query asks for, with its own rights, when the event arrives.
"""

import json
import logging
from typing import Any

from app.broadcast import FanOut

logger = logging.getLogger(__name__)


class Events:
    def __init__(self, fan_out: FanOut, namespace: str) -> None:
        self.fan_out = fan_out
        self.namespace = namespace

    def chat_channel(self, chat_id: int) -> str:
        return f"{self.namespace}:chat:{chat_id}"

    async def publish(self, channel: str, kind: str, **ids: Any) -> None:
        """Best effort: the change is committed already; a broadcast outage is logged."""
        try:
            await self.fan_out.publish(channel, json.dumps({"kind": kind, **ids}))
        except Exception:
            logger.warning("could not publish %s on %s", kind, channel, exc_info=True)

    async def chat_event(self, chat_id: int, kind: str, **ids: Any) -> None:
        await self.publish(self.chat_channel(chat_id), kind, chatId=chat_id, **ids)


def decode(message: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(message)
    return payload
