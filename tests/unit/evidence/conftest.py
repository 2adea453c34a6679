"""The evidence tests' article site: a loopback server with no robots.txt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.articles import ArticleServer


@pytest.fixture
def site() -> Iterator[ArticleServer]:
    server = ArticleServer().start()
    yield server
    server.stop()
