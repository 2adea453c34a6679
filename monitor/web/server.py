"""uvicorn in a background thread of ``monitor run``, on a socket bound up front."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
import time
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from monitor.config import HttpConfig
from monitor.web.headers import raw_header_lines

log = logging.getLogger(__name__)

ACCEPT_BACKLOG = 128  # also how many connections asyncio accepts in one burst
FD_LOG_EVERY_S = 60.0

BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + raw_header_lines() +
        b"Retry-After: 5\r\nConnection: close\r\nContent-Length: 21\r\n\r\n"
        b"too many connections\n")


class ConnectionLimits:
    """A server's cap on open connections and deadline for request heads; logs each overload once.

    uvicorn's own ``limit_concurrency`` answers 503 only once a request arrives and its
    keep-alive timer starts only after a response, so idle sockets would be held forever."""

    def __init__(self, max_connections: int, header_timeout: float):
        self.max_connections, self.header_timeout = max_connections, header_timeout
        self.refused = 0
        self.saturated = False
        self.fd_logged_at: float | None = None

    def refuse(self, open_now: int) -> None:
        self.refused += 1
        if not self.saturated:
            self.saturated = True
            log.warning("HTTP: %d connections open, the limit ([http] max_connections); new "
                        "ones get 503 until some close", open_now)

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio logs every accept that fails for lack of file descriptors with a traceback,
        hundreds a second: say it once a minute instead, in one line."""
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE)):
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if self.fd_logged_at is None or now - self.fd_logged_at >= FD_LOG_EVERY_S:
            self.fd_logged_at = now
            log.warning("HTTP: cannot accept connections: %s (the process's open-file limit; "
                        "lower [http] max_connections or raise `ulimit -n`)", exc.strerror)

    def released(self, open_now: int) -> None:
        if self.saturated and open_now <= self.max_connections // 2:
            log.info("HTTP: %d connections open again; %d refused while at the limit",
                     open_now, self.refused)
            self.saturated, self.refused = False, 0


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with ``ConnectionLimits``: over the cap, a 503 and close; a
    connection that has not sent a whole request head within the deadline is closed."""

    limits: ConnectionLimits
    _refused = False
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self._refused, self.transport = True, transport
            self.limits.refuse(len(self.connections))
            transport.write(BUSY)
            transport.close()
            return
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)
        if not self._refused:
            self.limits.released(len(self.connections))

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedH11Protocol]:
    """A protocol class bound to one server's limits (uvicorn instantiates it per connection)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


def bind(host: str, port: int) -> socket.socket:
    """Listen on host:port now, so a busy port is a clear start-up error, not a thread's death."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(ACCEPT_BACKLOG)
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """Serves an ASGI app until ``stop``; its thread never keeps the process alive."""

    def __init__(self, app: ASGIApp, host: str, port: int,
                 max_connections: int = HttpConfig.max_connections,
                 header_timeout: float = HttpConfig.header_timeout):
        self.address = f"{host}:{port}"
        self.sock = bind(host, port)
        self.limits = ConnectionLimits(max_connections, header_timeout)
        self.server = uvicorn.Server(uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off",
            http=guarded_protocol(self.limits), backlog=ACCEPT_BACKLOG,
            timeout_graceful_shutdown=2, timeout_keep_alive=5))
        self.thread = threading.Thread(target=self._run, name="http", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        """uvicorn's serve, with accept failures reported by ``ConnectionLimits``."""
        asyncio.get_running_loop().set_exception_handler(self.limits.loop_exception)
        await self.server.serve(sockets=[self.sock])

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raise RuntimeError if uvicorn does not come up."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"HTTP server did not start on {self.address}")
            time.sleep(0.02)
        log.info("HTTP on http://%s/ (healthz, metrics, api/hits, watchlists/NAME/hits.atom)",
                 self.address)

    def stop(self, timeout: float = 3.0) -> None:
        """Ask uvicorn to finish open requests and exit; wait at most ``timeout`` seconds."""
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()
