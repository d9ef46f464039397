"""uvicorn's WebSocket protocol, except that a close frame never waits for the client to read,
and a client that stops answering pings is told to resume (1013), not that the server failed.

uvicorn makes every send, the close included, wait while the connection's write buffer is
over its high-water mark. A subscriber that fell behind (infra.sockets) is closed because its
client stopped reading, so its buffer is full: the 1013 frame would wait until the client
reads again, and past CLOSE_TIMEOUT_SECONDS the socket would be dropped without it. Here the
frame is written at once, behind what is already buffered: the client reads what was in
flight, then learns why it was closed, and resumes with `after`.

A client that stopped reading also stops answering the keepalive pings, and uvicorn closes
its socket when one goes unanswered, with 1011 (internal error). Here that close is 1013 as
well: what went unread is the client's to catch up on, with `after`, as when its queue
overflows first (which of the two comes first depends only on how fast events arrive).
"""

import asyncio

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from infra.sockets import TRY_AGAIN_LATER

UNANSWERED_PINGS = "No answer to pings; reconnect and resubscribe with after"


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

    def keepalive_timeout(self) -> None:
        # uvicorn's, with our close code and reason.
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.fail(TRY_AGAIN_LATER, UNANSWERED_PINGS)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()
