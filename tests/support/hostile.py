"""A loopback HTTP server that misbehaves on purpose: trickles, floods, bombs, loops."""

from __future__ import annotations

import gzip
import io
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler

from tests.support.servers import _Server

HUGE = 300 * 1024 * 1024
BOMB_RAW = 256 * 1024 * 1024


@cache
def gzip_bomb() -> bytes:
    """256 MB of zeros gzip-compressed to ~250 KB, built in 1 MB steps (never 256 MB at once)."""
    out = io.BytesIO()
    zero = bytes(1024 * 1024)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        for _ in range(BOMB_RAW // len(zero)):
            gz.write(zero)
    return out.getvalue()


class HostileServer:
    """Paths: /slow, /huge, /bomb, /loop-a, /loop-b. Records how many bytes it sent."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _stream(self, chunk: bytes, total: int, pause: float = 0.0) -> None:
                sent = 0
                try:
                    while sent < total:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        owner.sent[self.path] = sent
                        if pause:
                            self.wfile.flush()
                            time.sleep(pause)
                except OSError:
                    return

            def do_GET(self) -> None:
                if self.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self._stream(b"<", 100000, pause=0.1)
                elif self.path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(HUGE))
                    self.end_headers()
                    self._stream(b" " * 65536, HUGE)
                elif self.path == "/bomb":
                    body = gzip_bomb()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self._stream(body, len(body))
                elif self.path in ("/loop-a", "/loop-b"):
                    self.send_response(302)
                    self.send_header("Location", "/loop-b" if self.path == "/loop-a" else "/loop-a")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.send_error(404)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def start(self) -> HostileServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
