"""A real ``monitor run`` subprocess for tests, plus feeds to serve it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from tests.support.helpers import ROOT


def rss(items: list[tuple[str, str, int]]) -> bytes:
    """RSS 2.0 with (guid, title, days ago) items; links are https://news.example/<guid>."""
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{guid}</link>"
        f"<guid>{guid}</guid><pubDate>{format_datetime(now - timedelta(days=ago))}</pubDate>"
        f"</item>" for guid, title, ago in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Loopback News</title><link>https://news.example/</link>"
            f"<description>test</description>{body}</channel></rss>").encode()


def wait_for(predicate: Callable[[], object], timeout: float = 15.0, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class DaemonProcess:
    """``python -m monitor run`` with its output in a file; HTTP helpers for its endpoints."""

    def __init__(self, config: Path, port: int | None, log_format: str = "text",
                 env: dict[str, str] | None = None):
        self.config, self.port, self.log_format = config, port, log_format
        self.env = {**os.environ, **(env or {})}
        self.log_path = config.parent / f"daemon-{log_format}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_healthy: bool = True) -> DaemonProcess:
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run", "--config", str(self.config),
                 "--log-format", self.log_format],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env)
        if wait_healthy:
            wait_for(self._healthy, 20, "the daemon's /healthz to answer 200")
        return self

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return self.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.base + path, timeout=10, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return httpx.post(self.base + path, timeout=10, **kw)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float = 15.0) -> str:
        return wait_for(lambda: text in self.log() and self.log(), timeout, f"{text!r} in the log")

    def send(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> tuple[int, float]:
        """Send ``sig`` and wait; returns (exit code, seconds it took)."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def daemon_config(directory: Path, feeds: list[tuple[str, str]], port: int | None,
                  storage_url: str, watchlists: Path, subscribers: list[dict] | None = None,
                  http_extra: str = "", extra: str = "") -> Path:
    """Write config.toml: (url, interval) feeds, [http] on 127.0.0.1:port, optional subscribers.

    The first-poll backlog is off: items days old are alerted, as these tests expect."""
    lines = ["[storage]", f"url = {_q(storage_url)}",
             "[watchlists]", f"dir = {_q(str(watchlists))}",
             "[polling]", 'timeout = "10s"', 'backlog = "off"',
             "[delivery]", 'retry_initial = "1s"', "max_attempts = 2"]
    if port is not None:
        lines += ["[http]", f'listen = "127.0.0.1:{port}"', http_extra]
    lines.append(extra)
    for url, interval in feeds:
        lines += ["[[feeds]]", f"url = {_q(url)}", f"interval = {_q(interval)}"]
    for sub in subscribers or []:
        lines += ["[[subscribers]]", f"name = {_q(sub['name'])}",
                  "notify = [" + ", ".join(_q(u) for u in sub["notify"]) + "]"]
        if "watchlists" in sub:
            lines.append("watchlists = [" + ", ".join(_q(w) for w in sub["watchlists"]) + "]")
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
