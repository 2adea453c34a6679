"""Shared fixtures: real loopback servers and config files written per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Database, connect
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures, for db below
from tests.support.servers import FeedServer, SmtpServer, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
WATCHLISTS = ROOT / "watchlists"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:  # noqa: F811
    """A database of its own per test, on SQLite and (when configured) PostgreSQL."""
    database = connect(any_url)
    yield database
    database.dispose()


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(directory: Path, feeds: list[str], subscribers: list[dict] | None = None,
                 storage_url: str | None = None, extra: str = "",
                 backlog: str | None = "off") -> Path:
    """Write a config.toml using the shipped watchlists; returns its path.

    ``backlog`` is off by default: fixtures with fixed dates alert whatever the day the tests
    run (None: the product's default). ``[watchlists]`` takes one line so that the lines of
    ``extra`` and what follows keep their numbers."""
    lines = [
        f"watchlists = {{ dir = {_toml_str(str(WATCHLISTS))} }}",
        "[storage]",
        f"url = {_toml_str(storage_url or 'sqlite:///monitor.db')}",
        "[polling]",
        'timeout = "10s"',
        f"backlog = {_toml_str(backlog)}" if backlog is not None else "",
        extra,
    ]
    for url in feeds:
        lines += ["[[feeds]]", f"url = {_toml_str(url)}", 'interval = "1h"']
    for sub in subscribers or []:
        lines += ["[[subscribers]]", f"name = {_toml_str(sub['name'])}",
                  "notify = [" + ", ".join(_toml_str(u) for u in sub["notify"]) + "]"]
        if "watchlists" in sub:
            lines.append("watchlists = [" + ", ".join(_toml_str(w) for w in sub["watchlists"])
                         + "]")
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``monitor`` CLI in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "monitor", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=ROOT)


@pytest.fixture
def storage_url(tmp_path: Path) -> str:
    """SQLite in the test's folder (the PostgreSQL variant lives in test_storage)."""
    return f"sqlite:///{tmp_path / 'monitor.db'}"
