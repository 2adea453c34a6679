"""One chart definition: stories per day by publication date, on the page and in messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import lxml.html
from sqlalchemy import update

from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries
from monitor.sources.entry import Entry, entry_key
from storage import Story, connect
from storage.reports import stories_per_day
from tests.support.delivery_helpers import news_feed
from tests.support.helpers import WATCHLISTS
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.unit.web.test_web_app import served  # noqa: F401 - fixture

NOW = datetime.now(UTC).replace(microsecond=0)


def _ingest(db, matcher, stories: list[tuple[str, str, datetime | None]]) -> None:
    """(key, title, published) stories from one feed, found now, through the real matcher."""
    entries = [Entry(entry_key(k, None, t, ""), k, f"https://news.example/{k}", t, "", "", p)
               for k, t, p in stories]
    with db.session() as s:
        feed = news_feed(s)
        store_entries(s, feed, prepare(entries, matcher), [])


STORIES = [("a", "ICE agents detain dozens in dawn raid", NOW - timedelta(days=3)),
           ("b", "Amazon Web Services renews contract with ICE", NOW),
           ("c", "Judge halts ICE detention transfers", None),
           ("d", "ICE raids spark protests", NOW - timedelta(days=400))]


def test_a_story_counts_once_on_its_publication_day(any_url):  # noqa: F811
    db = connect(any_url)
    _ingest(db, Matcher(load_watchlists(WATCHLISTS)), STORIES)
    with db.session() as s:      # a date after the story was found is no date: the day found
        s.execute(update(Story).where(Story.link.like("%/c")).values(
            published_at=NOW + timedelta(days=30)))
        chart = stories_per_day(s, 7, NOW)
        ice = stories_per_day(s, 7, NOW, keep=lambda wl, _e, _s: wl == "ICE")
    db.dispose()
    assert chart.total == [0, 0, 0, 1, 0, 0, 2]          # b (in two watchlists) counts once
    assert chart.watchlist("ICE") == [0, 0, 0, 1, 0, 0, 2]
    assert chart.watchlist("Amazon") == [0, 0, 0, 0, 0, 0, 1]
    assert chart.earlier == 1                               # d: published 400 days ago
    assert ice.by_watchlist.keys() == {"ICE"} and ice.total == [0, 0, 0, 1, 0, 0, 2]


def test_page_charts_follow_the_watchlist_filter_and_say_what_they_count(served):  # noqa: F811
    daemon, client = served
    _ingest(daemon.rt.db, daemon.rt.matcher, STORIES)
    every = lxml.html.fromstring(client.get("/").text)
    assert {"ICE", "Amazon"} <= set(every.xpath("//svg/@data-watchlist"))
    page = client.get("/?watchlist=Amazon")
    tree = lxml.html.fromstring(page.text)
    assert tree.xpath("//svg/@data-watchlist") == ["Amazon"]
    counts = [int(n) for n in re.findall(r"\d+", tree.xpath("//svg/@data-counts")[0])]
    assert sum(counts) == 1 and counts[-1] == 1
    note = " ".join(tree.xpath("//p[@class='chart-note']//text()"))
    assert "on the day it was published" in note and "Amazon" in note
