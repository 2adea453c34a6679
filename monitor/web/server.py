"""uvicorn in a background thread of ``monitor run``, on a socket bound up front."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

log = logging.getLogger(__name__)


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
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """Serves an ASGI app until ``stop``; its thread never keeps the process alive."""

    def __init__(self, app, host: str, port: int):
        self.address = f"{host}:{port}"
        self.sock = bind(host, port)
        self.server = uvicorn.Server(uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=2, timeout_keep_alive=5))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="http", daemon=True)

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
