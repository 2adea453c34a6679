"""Leases, conflict-safe writes, delivery locks and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries
from monitor.sources.entry import Entry, entry_key
from notifiers import Channel, Recipient
from notifiers.outbox import Outbox, RetryPolicy
from storage import Delivery, Feed, Hit, Story, StorySource, connect
from storage.deliveries import claim
from storage.models import utcnow
from storage.sources import claim_feeds, sync_feeds
from storage.stories import prune
from tests.support.helpers import WATCHLISTS
from tests.support.pgdb import pg_url  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watchlists(WATCHLISTS))


def _feeds(db, n: int) -> list[int]:
    with db.session() as s:
        s.add_all(Feed(url=f"https://f{i}.example/rss", name=f"f{i}", interval_s=60,
                       next_poll_at=utcnow() - timedelta(seconds=1)) for i in range(n))
        s.flush()
        return list(s.scalars(select(Feed.id).order_by(Feed.id)))


def _claim(db, owner: str, limit: int = 100, now: datetime | None = None) -> set[int]:
    now = now or utcnow()
    with db.session() as s:
        return {f.id for f in claim_feeds(s, owner, now, 30, limit, due_by=now)}


def test_claims_are_exclusive_and_expire(db):
    ids = _feeds(db, 10)
    a, b = _claim(db, "a", limit=6), _claim(db, "b")
    assert len(a) == 6 and a.isdisjoint(b) and a | b == set(ids)
    assert _claim(db, "c") == set()
    later = utcnow() + timedelta(seconds=31)  # a and b died: their leases lapse
    assert _claim(db, "c", now=later) == set(ids)
    with db.session() as s:
        assert set(s.scalars(select(Feed.lease_owner))) == {"c"}


def test_concurrent_sync_inserts_each_feed_once(db):
    from monitor.config import FeedConfig

    feeds = [FeedConfig(f"https://s{i}.example/rss", f"s{i}", 60.0) for i in range(50)]
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def worker(part) -> None:  # workers started from overlapping configs
        start.wait()
        try:
            with db.session() as s:
                sync_feeds(s, part)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,))
               for p in (feeds[:30], feeds[20:], feeds[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Feed)) == 50


def _entry(guid: str, title: str, link: str) -> Entry:
    return Entry(entry_key(guid, link, title, ""), guid, link, title, "", "",
                 datetime(2026, 11, 28, tzinfo=UTC))


RECIPIENTS = [Recipient("desk", (Channel("c1", "json://127.0.0.1:9/x"),))]


def test_racing_workers_store_one_story(pg_url, matcher):  # noqa: F811
    db = connect(pg_url)
    feed_a, feed_b = _feeds(db, 2)
    story = "https://news.example/ice-raid"
    outcome: dict = {}

    def second_worker() -> None:
        with db.session() as s:
            outcome["b"] = store_entries(s, s.get(Feed, feed_b), prepare(
                [_entry("b1", "ICE raid", story + "?utm_source=b")], matcher), RECIPIENTS)

    with db.session() as s:  # worker A has written the story but not committed yet
        outcome["a"] = store_entries(s, s.get(Feed, feed_a),
                                     prepare([_entry("a1", "ICE raid", story)], matcher),
                                     RECIPIENTS)
        thread = threading.Thread(target=second_worker)
        thread.start()
        time.sleep(0.5)  # B now waits on A's uncommitted row in the unique index
        assert thread.is_alive()
    thread.join(10)
    assert (outcome["a"].new_stories, outcome["a"].deliveries) == (1, 1)
    b = outcome["b"]
    assert (b.new_stories, b.new_sources, b.deliveries) == (0, 1, 0)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 1
        assert s.scalar(select(func.count()).select_from(StorySource)) == 2
        assert s.scalar(select(func.count()).select_from(Hit)) == 1
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1
    db.dispose()


def test_claimed_delivery_is_not_sent_by_another_worker(pg_url, matcher, webhook):  # noqa: F811
    db = connect(pg_url)
    recipients = [Recipient("desk", (Channel("c1", webhook.url),))]
    (feed_id,) = _feeds(db, 1)
    with db.session() as s:
        store_entries(s, s.get(Feed, feed_id),
                      prepare([_entry("1", "ICE raid", "https://n.example/1")], matcher),
                      recipients)
        ids = list(s.scalars(select(Delivery.id)))
    worker_a = Outbox(db, recipients, RetryPolicy())
    worker_b = Outbox(db, recipients, RetryPolicy())
    with db.session() as s:  # worker A is sending it right now
        _token, taken = claim(s, ids, utcnow(), 300)
    assert taken == ids
    with db.session() as s:
        assert claim(s, ids, utcnow(), 300)[1] == []
    assert worker_b.deliver_due().sent == 0
    assert webhook.received == []
    later = utcnow() + timedelta(seconds=301)  # A died: its lease runs out, B takes over
    assert worker_b.deliver_due(now=later).sent == 1
    assert worker_a.deliver_due(now=later).sent == 0
    assert len(webhook.received) == 1
    db.dispose()


def test_retention_prunes_old_stories_but_not_pending_alerts(db, matcher):
    (feed_id,) = _feeds(db, 1)
    old = utcnow() - timedelta(days=40)
    with db.session() as s:
        feed = s.get(Feed, feed_id)
        store_entries(s, feed, prepare([_entry("1", "ICE raid", "https://n.example/1"),
                                        _entry("2", "ICE audit", "https://n.example/2"),
                                        _entry("3", "Ice storm warning", "https://n.example/3"),
                                        _entry("4", "ICE today", "https://n.example/4")],
                                       matcher), RECIPIENTS)
        s.flush()
        for st in s.scalars(select(Story).where(Story.link != "https://n.example/4")):
            st.first_seen_at = old
        sent = s.scalar(select(Delivery).join(Story).where(Story.link == "https://n.example/1"))
        sent.state = "sent"
    assert prune(db, utcnow() - timedelta(days=30)) == 2  # 1 (alert sent) and 3 (no hit)
    with db.session() as s:
        assert set(s.scalars(select(Story.link))) == {"https://n.example/2",
                                                      "https://n.example/4"}
        assert s.scalar(select(func.count()).select_from(Hit)) == 2
        assert s.scalar(select(func.count()).select_from(StorySource)) == 2


def test_digest_is_sent_once_by_racing_workers(pg_url, matcher, webhook):  # noqa: F811
    db = connect(pg_url)
    recipients = [Recipient("desk", (Channel("c1", webhook.url),), mode="digest",
                            schedule="0 8 * * *", timezone="UTC")]
    (feed_id,) = _feeds(db, 1)
    with db.session() as s:
        store_entries(s, s.get(Feed, feed_id), prepare(
            [_entry(str(i), f"ICE raid in town {i}", f"https://n.example/{i}")
             for i in range(5)], matcher), recipients)
    workers = [Outbox(db, recipients, RetryPolicy()) for _ in range(3)]
    start = threading.Barrier(len(workers))
    reports = []

    def fire(box: Outbox) -> None:  # every worker's cron job fires at 08:00
        start.wait()
        reports.append(box.send_digest("desk"))

    threads = [threading.Thread(target=fire, args=(box,)) for box in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r.messages for r in reports) == 1
    assert len(webhook.received) == 1
    with db.session() as s:
        assert set(s.scalars(select(Delivery.state))) == {"sent"}
    db.dispose()
