"""The delivery ledger's storage functions, and the feed reads the service uses, on real DBs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import Delivery, Feed, Story, deliveries
from storage.db import ping
from storage.sources import count_by_state, last_polled_at, next_poll_times

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _story(db, targets: list[tuple[str, str]], at: datetime = T0) -> list[int]:
    """One story with a pending delivery per target, due at ``at``; their ids."""
    with db.session() as s:
        story = Story(title="ICE raid", link="https://news.example/1", first_seen_at=at)
        s.add(story)
        s.flush()
        assert deliveries.add_pending(s, story.id, targets) == len(targets)
        s.flush()
        rows = s.scalars(select(Delivery).order_by(Delivery.id)).all()
        for d in rows:
            d.next_attempt_at = at
        return [d.id for d in rows]


def test_due_rows_skip_waiting_subscribers_first_tries(db):
    ids = _story(db, [("desk", "c1"), ("desk", "c2"), ("digest", "d1")])
    with db.read() as s:
        due = deliveries.due_by_channel(s, T0, 300, waiting=["digest"], limit=10)
        assert sorted(due) == [("desk", "c1"), ("desk", "c2")]
        assert [r.id for rows in due.values() for r in rows] == ids[:2]
        assert deliveries.due_by_channel(s, T0 - timedelta(seconds=1), 300, [], 10) == {}
        assert deliveries.claimable_ids(s, "digest", "d1", T0, 300) == ids[2:]


def test_failed_claim_retries_then_fails_for_good(db):
    ids = _story(db, [("desk", "c1")])
    retry = T0 + timedelta(minutes=5)
    for attempt, when in ((1, retry), (2, None)):
        with db.session() as s:
            token, taken = deliveries.claim(s, ids, T0 + timedelta(hours=attempt), 300)
            assert taken == ids
            failure = deliveries.finish_failed(s, token, "HTTP 500", lambda n, w=when: w)
        assert failure.attempts == (attempt if when else 0)
        assert (failure.retrying, failure.failed, failure.next_at) == (
            (1, 0, retry) if when else (0, 1, None))
    with db.read() as s:
        [row] = deliveries.ledger(s, "failed", "desk", 5)
        assert (row.delivery.attempts, row.delivery.last_error) == (2, "HTTP 500")
        assert deliveries.count_by_state(s) == {"failed": 1}
    with db.session() as s:
        assert deliveries.requeue(s, None, T0) == 1
    with db.read() as s:
        assert deliveries.count_by_state(s) == {"pending": 1}
        assert deliveries.queue_depth(s, T0) == 1
        assert deliveries.queue_depth(s, T0 - timedelta(seconds=1)) == 0


def test_a_claim_sent_counts_one_message(db):
    ids = _story(db, [("desk", "c1")])
    with db.session() as s:
        token, taken = deliveries.claim(s, ids, T0, 300)
        assert taken == ids and deliveries.finish_sent(s, token, T0) == 1
    with db.read() as s:
        assert deliveries.messages_since(s, "desk", "c1", T0 - timedelta(hours=1)) == 1
        [loaded] = deliveries.with_stories(s, ids)
    assert loaded.story.title == "ICE raid" and loaded.story.hits == []


def test_feed_counts_and_times(db):
    with db.read() as s:
        ping(s)
        assert last_polled_at(s) is None and count_by_state(s) == {}
    with db.session() as s:
        s.add_all([Feed(url="https://a.example/rss", next_poll_at=T0, last_polled_at=T0),
                   Feed(url="https://b.example/rss", next_poll_at=T0, state="disabled"),
                   Feed(url="https://c.example/rss", next_poll_at=T0 + timedelta(hours=1))])
    with db.read() as s:
        assert last_polled_at(s) == T0
        assert count_by_state(s) == {"ok": 2, "disabled": 1}
        urls = {"https://a.example/rss", "https://b.example/rss"}
        assert next_poll_times(s, urls) == [T0]
