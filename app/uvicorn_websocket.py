"""uvicorn's WebSocket protocol, except that a close frame never waits for the client to read.

uvicorn makes every send, the close included, wait while the connection's write buffer is
over its high-water mark. A subscriber that fell behind (app.sockets) is closed because its
client stopped reading, so its buffer is full: the 1013 frame would wait until the client
reads again, and past CLOSE_TIMEOUT_SECONDS the socket would be dropped without it. Here the
frame is written at once, behind what is already buffered: the client reads what was in
flight, then learns why it was closed, and resumes with `after`.
"""

import asyncio

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class WebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] != "websocket.close" or self.writable.is_set():
            await super().send(message)
            return
        # The sends waiting for the buffer to drain keep waiting on the event they hold
        # (they end with the socket); this one goes through a set one.
        paused, self.writable = self.writable, asyncio.Event()
        self.writable.set()
        try:
            await super().send(message)
        finally:
            self.writable = paused
