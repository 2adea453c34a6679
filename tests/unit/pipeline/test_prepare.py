"""Data goes one way (issue 13): prepare is one function wherever it runs, the store writes
what prepare and dedup decided, and a cycle only queues alerts: delivery sends them."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from sqlalchemy import select

from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher
from monitor.pipeline import pool as parsework
from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.deliver import deliver_due
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries
from monitor.service.runtime import load_runtime
from monitor.sources.base import Response
from monitor.sources.entry import make_entry
from monitor.sources.feed.kind import FEED
from storage import Feed, Story, connect
from tests.support.helpers import WATCHLISTS, write_config

URL = "https://news.example/rss"


def _rss(*titles: str) -> bytes:
    items = "".join(f"<item><title>{t}</title><link>https://news.example/{n}?utm_source=rss"
                    f"</link><description>Agents detained workers at {n} sites across the "
                    f"county on Tuesday morning.</description></item>"
                    for n, t in enumerate(titles))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}'
            f"</channel></rss>").encode()


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlists(WATCHLISTS))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the pool needs 2 cores")
def test_a_worker_and_the_daemon_prepare_entries_alike(matcher):
    body = _rss("ICE agents detain nine workers in a morning raid",
                "City council approves the new school budget for next year")
    page = Response(URL, 200, {}, body)
    parsework.PARSE_POOLS.close()
    try:
        pool = parsework.PARSE_POOLS.get(load_watchlists(WATCHLISTS), 2)
        assert pool is not None
        in_worker = pool.submit(parsework.parse_in_worker, FEED, {}, (page,)).result(timeout=120)
    finally:
        parsework.PARSE_POOLS.close()
    here = parsework.parse_and_prepare(matcher, FEED, {}, (page,))
    assert in_worker == here
    raid, budget = here.entries
    assert raid.matches and not budget.matches
    assert raid.canonical == "https://news.example/0" and raid.keys and budget.keys
    assert [p.entry for p in here.entries] == here.parsed.entries


def test_the_store_writes_what_prepare_decided(tmp_path, matcher):
    """The store neither matches nor canonicalises again: it takes the prepared answers."""
    db = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    entry = make_entry("g1", "https://n.example/raid?utm_source=x",
                       "ICE agents detain nine workers", "", "", None)
    (prepared,) = prepare([entry], matcher)
    assert prepared.matches and prepared.canonical == "https://n.example/raid"
    given = replace(prepared, matches=(), canonical="https://n.example/elsewhere")
    try:
        with db.session() as s:
            feed = Feed(url="https://n.example/rss", name="N")
            s.add(feed)
            s.flush()
            report = store_entries(s, feed, [given], [])
        assert (report.new_stories, report.hits) == (1, 0)
        with db.session() as s:
            assert list(s.scalars(select(Story.canonical_url))) == ["https://n.example/elsewhere"]
    finally:
        db.dispose()


def test_a_cycle_queues_alerts_and_delivery_sends_them(tmp_path, feed_server, webhook):
    url = feed_server.add("/news.xml", _rss("ICE agents detain nine workers in a morning raid"))
    rt = load_runtime(write_config(tmp_path, [url], [{"name": "hooks", "notify": [webhook.url]}]))
    try:
        stats = poll_cycle(rt, force=True)
        assert (stats.deliveries_queued, stats.notifications_sent) == (1, 0)
        assert webhook.received == []
        report = deliver_due(rt, stats=stats)
        assert report.sent == stats.notifications_sent == 1
        assert len(webhook.received) == 1
    finally:
        parsework.PARSE_POOLS.close()
        rt.close()
