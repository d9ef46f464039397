"""uvicorn, telling open WebSockets 1001 (going away) when the server shuts down.

uvicorn's own shutdown closes every WebSocket with 1012 (service restart) before the
application hears of it, so the lifespan would be too late: this server stops accepting
connections, has the application close its sockets with 1001, and only then lets uvicorn
shut down (which waits for the sockets' tasks, then runs the lifespan shutdown).
"""

import socket

import uvicorn
from uvicorn.supervisors import ChangeReload

from app.body_limit import JSON_BODY_LIMIT
from app.uvicorn_websocket import WebSocketProtocol
from infra.sockets import GOING_AWAY

APP = "app.asgi:app"
STARTUP_FAILURE = 3  # uvicorn's exit code when the application fails to start


class Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for listening in self.servers:
            listening.close()
        from app.asgi import app  # the application uvicorn loaded from APP

        await app.state.services.sockets.close_all(GOING_AWAY, "Server shutting down")
        await super().shutdown(sockets)


def config(
    host: str,
    port: int,
    reload: bool,
    shutdown_timeout: int,
    compression: bool,
    ping_interval: float,
    ping_timeout: float,
) -> uvicorn.Config:
    return uvicorn.Config(
        APP,
        host=host,
        port=port,
        reload=reload,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=shutdown_timeout,
        # A WebSocket frame may be as large as a JSON request body, no larger: a bigger one
        # is refused (1009) before it is read, let alone parsed.
        ws_max_size=JSON_BODY_LIMIT,
        ws_per_message_deflate=compression,
        ws_ping_interval=ping_interval,
        ws_ping_timeout=ping_timeout,
        ws=WebSocketProtocol,
    )


def serve(config: uvicorn.Config) -> int:
    """Serve from this process (restarted on code changes with `reload`); the exit code."""
    server = Server(config)
    if config.should_reload:
        ChangeReload(config, target=server.run, sockets=[config.bind_socket()]).run()
        return 0
    server.run()
    return 0 if server.started else STARTUP_FAILURE
