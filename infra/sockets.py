"""The WebSockets one process serves, so that they can be closed from outside their own tasks
(and counted per user, who may have only so many open).

Five things close a socket from outside: its access token expiring, its session ending
(logout, revokeSession, a password change, a reused refresh token), a subscriber that was
cut off (it fell too far behind: its task may be stuck in a send the client never reads, so
it can't notice; or live updates were interrupted), its user's account being deleted (in
any process: app.account_watch), and the server shutting down.
A close frame is written at once, behind whatever the client has not read yet (see
app.uvicorn_websocket), so a client that stopped reading still learns why it was closed;
if closing takes longer than CLOSE_TIMEOUT_SECONDS all the same, the socket's task is ended
anyway and the server drops the connection.
"""

import asyncio
import contextlib
import logging
from contextvars import ContextVar

from starlette.types import Scope
from starlette.websockets import WebSocket, WebSocketDisconnect

from infra.presence import SocketPresence

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT_SECONDS = 2.0
GOING_AWAY = 1001  # the server shuts down: reconnect (to another process)
# No valid access token (graphql-transport-ws's code), at connection_init or when the token
# expires on an open socket. Its reasons are short and stable, for clients to act on: refresh
# the access token and reconnect, or sign in again (refreshing would not help).
FORBIDDEN = 4403
TOKEN_EXPIRED_REASON = "token expired"  # noqa: S105 (a close reason)
INVALID_TOKEN_REASON = "invalid token"  # noqa: S105
SESSION_ENDED_REASON = "session ended"  # its session was signed out: sign in again
TRY_AGAIN_LATER = 1013  # missed events (fell behind, Redis away): resume with `after`
# Refused in connection_init. Codes of their own, beside graphql-transport-ws's 4429 (which
# its client treats as fatal): graphql-ws's client retries these with a backoff.
TOO_MANY_SOCKETS = 4430  # the user has MAX_SOCKETS_PER_USER open here: close one first
SOCKETS_RATE_LIMITED = 4431  # opened too many lately (SOCKET_RATE_LIMIT): wait, then retry


# A socket whose own operation ended its session (changePassword, revokeSession of itself)
# closes this much later, so that the operation's answer (the new tokens) goes out first.
OWN_OPERATION_GRACE_SECONDS = 0.5

# The socket whose task (or one of its operations' tasks, which copy it) is running.
_serving: ContextVar["Socket | None"] = ContextVar("serving_socket", default=None)


class SocketRefused(Exception):
    """Raised from connection_init: close the socket with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Socket:
    """One open WebSocket and the task serving it."""

    def __init__(self, websocket: WebSocket, task: "asyncio.Task[object]") -> None:
        self.websocket = websocket
        self.task = task
        self.cut_off = False  # its task was cancelled by close(), not by the server
        self.user_id: int | None = None  # once connection_init identified it
        self.session_id: int | None = None  # the session of its access token, if it has one
        self.expiry_timer: asyncio.TimerHandle | None = None  # closes it when its token expires
        self.presence: SocketPresence | None = None  # what it holds in the presence store
        self._closing: asyncio.Task[None] | None = None

    def close(self, code: int, reason: str) -> "asyncio.Task[None]":
        """Close the socket (once, whoever asks first); the returned task ends when it did."""
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(code, reason))
        return self._closing

    def missed_events(self, cause: Exception) -> None:
        """A subscription of this socket was cut off (it fell behind, or live updates were
        interrupted): the client resumes with `after`; `cause` says why."""
        logger.info("closing a WebSocket whose subscriber was cut off: %s", cause)
        self.close(TRY_AGAIN_LATER, str(cause))

    async def _close(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.websocket.close(code=code, reason=reason)
            return
        except TimeoutError:
            logger.info("a WebSocket did not take its close frame; dropping it")
        except (RuntimeError, OSError, WebSocketDisconnect):  # closed already, by either side
            return
        if not self.task.done():
            self.cut_off = True
            self.task.cancel()


class Sockets:
    """Every WebSocket this process has open."""

    def __init__(self) -> None:
        self._open: set[Socket] = set()
        self._by_user: dict[int, set[Socket]] = {}

    def open(self, websocket: WebSocket) -> Socket:
        """Track `websocket`, served by the current task, until `discard`."""
        task = asyncio.current_task()
        assert task is not None, "called from the task serving the socket"
        socket = Socket(websocket, task)
        websocket.state.socket = socket
        _serving.set(socket)
        self._open.add(socket)
        return socket

    def identify(self, socket: Socket, user_id: int, limit: int) -> None:
        """Count `socket` as one of `user_id`'s; TOO_MANY_SOCKETS if they have `limit` open."""
        mine = self._by_user.setdefault(user_id, set())
        if len(mine) >= limit:
            raise SocketRefused(TOO_MANY_SOCKETS, "Too many sockets open for this user")
        mine.add(socket)
        socket.user_id = user_id

    def discard(self, socket: Socket) -> None:
        self._open.discard(socket)
        if socket.user_id is None:
            return
        mine = self._by_user.get(socket.user_id, set())
        mine.discard(socket)
        if not mine:
            self._by_user.pop(socket.user_id, None)

    def close_sessions(self, session_ids: frozenset[int]) -> None:
        """Close (4403) the sockets whose access tokens belong to sessions that ended; the
        one running the operation that ended them a moment later, once it has answered."""
        serving = _serving.get()
        for socket in list(self._open):
            if socket.session_id not in session_ids:
                continue
            if socket is serving:
                asyncio.get_running_loop().call_later(
                    OWN_OPERATION_GRACE_SECONDS, socket.close, FORBIDDEN, SESSION_ENDED_REASON
                )
            else:
                socket.close(FORBIDDEN, SESSION_ENDED_REASON)

    def close_user(self, user_id: int, code: int, reason: str) -> int:
        """Close every socket of `user_id` here (they end on their own tasks); how many."""
        sockets = list(self._by_user.get(user_id, ()))
        for socket in sockets:
            socket.close(code, reason)
        return len(sockets)

    async def close_all(self, code: int, reason: str) -> None:
        """Close every socket and wait (bounded) until their tasks have cleaned up."""
        sockets = list(self._open)
        if not sockets:
            return
        logger.info("closing %d WebSocket(s) with %d", len(sockets), code)
        await asyncio.gather(*(socket.close(code, reason) for socket in sockets))
        tasks = [socket.task for socket in sockets]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await asyncio.wait(tasks)


def socket_in(scope: Scope) -> Socket | None:
    """The tracked socket of a WebSocket connection's scope (None over HTTP)."""
    socket = scope.get("state", {}).get("socket")
    return socket if isinstance(socket, Socket) else None
