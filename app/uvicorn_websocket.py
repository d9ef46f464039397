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
uvicorn then waits for the buffer to drain before it tells the application, and fails
every later send with a RuntimeError (logged as a crashed task); here the application is
told at once, so the socket's subscriptions end, and a send that comes too late is refused
as to a client that is gone.
"""

import asyncio
import logging

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from infra.sockets import TRY_AGAIN_LATER

logger = logging.getLogger(__name__)

UNANSWERED_PINGS = "No answer to pings; reconnect and resubscribe with after"


class WebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: ASGISendEvent) -> None:
        if self.disconnected:  # gone, or closed for unanswered pings: nothing more goes out
            raise ClientDisconnected
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
        """uvicorn's fails the connection (1011) and stops reading; here it is closed (1013)
        as the application closes one: reading on, so that the pongs and the close frame the
        client sends once it reads again are taken (data left unread when the socket is
        closed makes the kernel reset the connection, and the client would lose the frame)."""
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        logger.info("closing a WebSocket whose client answered no ping (1013)")
        self.conn.send_close(TRY_AGAIN_LATER, UNANSWERED_PINGS)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)
        self.disconnected = True  # for the application: nothing more goes out
        self.writable.set()  # the sends waiting for the buffer to drain: refused now
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": TRY_AGAIN_LATER, "reason": UNANSWERED_PINGS}
        )
