"""Evidence through ``poll-once`` (the real CLI, a loopback news site): a story alerted from its
page keeps the very bytes the page step fetched (the host is asked once); a story alerted from
its feed text has its page fetched by the evidence pass; robots.txt holds for both."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest

from tests.integration.test_full_text import DEEP, ROBOTS, article, rss
from tests.support.articles import ArticleServer
from tests.support.helpers import run_cli, write_config


@pytest.fixture
def site() -> Iterator[ArticleServer]:
    server = ArticleServer(robots=ROBOTS).start()
    yield server
    server.stop()


def test_poll_once_keeps_each_alerted_page_fetching_it_once(tmp_path, site):
    long_summary = " ".join(["word"] * 120) + " CoreCivic"
    site.add("/deep", article("County budget meeting", DEEP))
    site.add("/long", article("Long", DEEP))
    site.add("/private/long", article("Private", DEEP))
    feed = site.add("/feed.xml", rss([
        ("County budget meeting", site.url("/deep"), ""),
        ("Long", site.url("/long"), long_summary),
        ("Private", site.url("/private/long"), long_summary),
    ]), headers={"Content-Type": "application/rss+xml"})
    config = write_config(tmp_path, [feed], [], storage_url=f"sqlite:///{tmp_path / 'm.db'}",
                          extra='[evidence]\nkeep = true\nrecheck = ["1h"]')
    polled = run_cli("poll-once", "--json", "--config", str(config))
    assert polled.returncode == 0, polled.stderr
    assert site.asked.count("/deep") == 1 and site.asked.count("/long") == 1
    assert "/private/long" not in site.asked

    hits = json.loads(run_cli("hits", "--format", "json", "--config", str(config)).stdout)
    ids = {h["title"]: h["story_id"] for h in hits}
    assert set(ids) == {"County budget meeting", "Long", "Private"}
    for title, path in (("County budget meeting", "/deep"), ("Long", "/long")):
        shown = run_cli("evidence", str(ids[title]), "--format", "json", "--config", str(config))
        assert shown.returncode == 0, shown.stderr
        (version,) = json.loads(shown.stdout)["versions"]
        assert version["sha256"] == hashlib.sha256(site.pages[path].body).hexdigest()
    private = json.loads(run_cli("evidence", str(ids["Private"]), "--format", "json",
                                 "--config", str(config)).stdout)
    assert private["versions"] == [] and private["next_recheck_at"]  # robots: tried later
