"""Shared fixtures: real loopback servers and config files written per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Database, connect
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures, for db below
from tests.support.servers import FeedServer, SmtpServer, WebhookReceiver


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


@pytest.fixture
def storage_url(tmp_path: Path) -> str:
    """SQLite in the test's folder (the PostgreSQL variant lives in test_storage)."""
    return f"sqlite:///{tmp_path / 'monitor.db'}"
