"""The HTTP server under idle and trickling connections, with real sockets held open."""

from __future__ import annotations

import logging
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from monitor.web import HttpServer
from monitor.web.headers import SECURITY_HEADERS
from tests.support.helpers import ROOT
from tests.support.servers import free_port

LIMIT = 20
HEADER_TIMEOUT = 2.0
HELD = 5 * LIMIT  # fewer than the listen backlog (128): no connect waits for a SYN retry


async def _ok(scope, receive, send) -> None:
    """A minimal ASGI app: the limits live in the server, not in the routes."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def server() -> Iterator[HttpServer]:
    http = HttpServer(_ok, "127.0.0.1", free_port(), max_connections=LIMIT,
                      header_timeout=HEADER_TIMEOUT)
    http.start()
    yield http
    http.stop()


def _read_until_closed(socks: list[socket.socket], timeout: float
                       ) -> list[tuple[bytes, float | None]]:
    """Per socket, all it received and when the server closed it (None: still open)."""
    got = {s: [b"", None] for s in socks}
    with selectors.DefaultSelector() as sel:
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while sel.get_map() and (left := deadline - time.monotonic()) > 0:
            for key, _ in sel.select(left):
                chunk = key.fileobj.recv(4096)
                got[key.fileobj][0] += chunk
                if not chunk:
                    got[key.fileobj][1] = time.monotonic()
                    sel.unregister(key.fileobj)
    return [(data, closed) for data, closed in got.values()]


def test_idle_connections_are_capped_closed_after_the_header_timeout_and_logged_once(
        server, caplog):
    caplog.set_level(logging.INFO, logger="monitor.web.server")
    host, port = server.address.rsplit(":", 1)
    opened = time.monotonic()
    socks = [socket.create_connection((host, int(port))) for _ in range(HELD)]
    try:
        answers = _read_until_closed(socks, 3 * HEADER_TIMEOUT + 2)
    finally:
        for s in socks:
            s.close()
    assert all(closed is not None for _, closed in answers), "connections left open"
    busy = [closed - opened for data, closed in answers if data.startswith(b"HTTP/1.1 503 ")]
    idle = [closed - opened for data, closed in answers if not data]
    assert len(busy) == HELD - LIMIT and len(idle) == LIMIT, [d[:20] for d, _ in answers]
    assert all(HEADER_TIMEOUT * 0.9 <= t <= HEADER_TIMEOUT + 2 for t in idle), idle
    assert max(busy) < HEADER_TIMEOUT * 0.9, busy
    refusals = {data.split(b"\r\n\r\n")[0].lower() for data, _ in answers
                if data.startswith(b"HTTP/1.1 503 ")}
    for name, value in SECURITY_HEADERS.items():
        assert all(f"\r\n{name}: {value}\r\n".lower().encode() in head for head in refusals), (
            name, refusals)

    assert httpx.get(f"http://{server.address}/", timeout=5).text == "ok"
    messages = [r.getMessage() for r in caplog.records if r.name == "monitor.web.server"]
    limit_lines = [m for m in messages if "max_connections" in m]
    assert limit_lines == [f"HTTP: {LIMIT} connections open, the limit ([http] max_connections);"
                           " new ones get 503 until some close"]
    assert f"{HELD - LIMIT} refused while at the limit" in messages[-1]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_request_head_sent_byte_by_byte_is_cut_off_at_the_header_timeout(server):
    host, port = server.address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(0.2)
    started = time.monotonic()
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    closed_after = None
    try:
        while time.monotonic() - started < HEADER_TIMEOUT + 3:
            try:
                sock.sendall(b"X")
                if sock.recv(4096) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    finally:
        sock.close()
    assert closed_after is not None, "the server kept a trickling connection open"
    assert HEADER_TIMEOUT * 0.9 <= closed_after <= HEADER_TIMEOUT + 1



SERVE_WITH_FEW_FILES = """
import logging, resource, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (150, 150))
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
from monitor.web import HttpServer
from monitor.web.headers import SECURITY_HEADERS
from tests.unit.web.test_web_limits import _ok
server = HttpServer(_ok, "127.0.0.1", int(sys.argv[1]), max_connections=100, header_timeout=1)
server.start()
print("serving", flush=True)
sys.stdin.read()
"""


def test_running_out_of_file_descriptors_is_one_line_not_a_traceback_per_accept(tmp_path):
    """More connections than the process may open: accept fails (EMFILE) until some close."""
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen([sys.executable, "-c", SERVE_WITH_FEW_FILES, str(port)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file,
                                cwd=ROOT, text=True)
    try:
        assert proc.stdout.readline() == "serving\n", log_path.read_text()
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
        try:
            answers = _read_until_closed(socks, 8)
        finally:
            for s in socks:
                s.close()
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text == "ok"
    finally:
        proc.communicate("", timeout=10)
    assert all(closed is not None for _, closed in answers), "connections left open"
    log_text = log_path.read_text()
    assert "Traceback" not in log_text, log_text[:2000]
    assert log_text.count("cannot accept connections: Too many open files") == 1, log_text
    # Each time the limit is reached it is said once (here idle ones time out in between).
    lines = [line for line in log_text.splitlines() if line.startswith("monitor.web.server")]
    assert 1 <= sum("connections open, the limit" in line for line in lines) <= 3, log_text
    assert len(lines) <= 10, log_text
