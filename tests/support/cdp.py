"""Headless chromium driven over the DevTools protocol on a pipe: layout measured, not guessed.

``--dump-dom`` shows the DOM but not the layout; a phone-sized viewport and a measurement of
what overflows it need the protocol (``--remote-debugging-pipe``: JSON messages on fds 3/4)."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any


def _high_pipe() -> tuple[int, int]:
    """A pipe whose fds are above 4, so the child can move them to 3 and 4 in any order."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends[0], ends[1]


class Browser:
    """One headless chromium; ``open`` loads a page in an emulated viewport and evaluates JS."""

    def __init__(self, chromium: str, profile: Path, timeout: float = 30.0):
        self.timeout = timeout
        to_child, self._to_browser = _high_pipe()
        self._from_browser, from_child = _high_pipe()

        def wire_fds() -> None:  # chromium reads commands on fd 3 and answers on fd 4
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._ids = itertools.count(1)
        self._buffer = b""

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        msg_id = next(self._ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return msg_id

    def _next_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise RuntimeError(f"chromium exited with {self.proc.poll()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _wait(self, match, what: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._next_message(deadline)
            if "error" in message and match(message):
                raise RuntimeError(f"{what}: {message['error']}")
            if match(message):
                return message

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        msg_id = self._send(method, params, session)
        return self._wait(lambda m: m.get("id") == msg_id, method).get("result", {})

    def open(self, url: str, width: int, height: int, mobile: bool = True) -> str:
        """Load ``url`` in a new tab of ``width`` x ``height`` CSS pixels; its session id."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}
                            )["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 3, "mobile": mobile}, session)
        self.call("Page.enable", session=session)
        self.call("Page.navigate", {"url": url}, session)
        self._wait(lambda m: m.get("method") == "Page.loadEventFired"
                   and m.get("sessionId") == session, "page load")
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The JSON value of ``expression`` in the page (DevTools is not bound by its CSP)."""
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self._send("Browser.close")
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(10)
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)

    def navigated(self, session: str) -> None:
        """Wait until the tab of ``session`` has loaded its next page (after a script moved it)."""
        self._wait(lambda m: m.get("method") == "Page.loadEventFired"
                   and m.get("sessionId") == session, "the next page load")
