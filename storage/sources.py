"""Sources (the ``feeds`` table): mirror the config's feeds, store other kinds' sources, lease
due ones to workers, record each poll's outcome.

A source is keyed by ``feeds.url``: a feed by its URL, another kind by what its kind's
``key`` makes of its endpoint and parameters (sources of one kind may share an endpoint).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Feed, utcnow
from storage.stories import chunks
from storage.upsert import insert_ignore

FEED_KIND = "feed"
MAX_BACKOFF = 6 * 3600.0


class FeedSpec(Protocol):
    """A configured feed (monitor.config.FeedConfig): URL, optional name, interval in s."""

    @property
    def url(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def interval(self) -> float: ...


class PollOutcome(Protocol):
    """What a poll brought back (monitor.pipeline.fetch.FetchResult)."""

    @property
    def status(self) -> int | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def permanent_redirect(self) -> str | None: ...
    @property
    def retry_after(self) -> float | None: ...
    @property
    def error(self) -> str | None: ...


def worker_id() -> str:
    """A name for this process that is unique across machines and restarts."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


def params_of(feed: Feed) -> dict[str, Any]:
    """A source's parameters (a JSON object; a feed has none)."""
    value = json.loads(feed.params or "{}")
    return value if isinstance(value, dict) else {}


def sync_feeds(session: Session, feeds: Sequence[FeedSpec]) -> list[Feed]:
    """Create rows for new config feeds and update names/intervals; return the configured ones.

    Several workers run this at once: new rows are inserted with ON CONFLICT DO NOTHING and
    a row is written only when it changed, so they neither clash nor contend.
    """
    existing = _rows_by_url(session, [fc.url for fc in feeds])
    now = utcnow()
    missing = [{"url": fc.url, "name": fc.name or urlsplit(fc.url).hostname or fc.url,
                "interval_s": fc.interval, "next_poll_at": now}
               for fc in feeds if fc.url not in existing]
    if missing:
        insert_ignore(session, Feed, missing, ["url"])
        existing.update(_rows_by_url(session, [fc.url for fc in feeds if fc.url not in existing]))
    rows = []
    for fc in feeds:
        row = existing[fc.url]
        _set_interval(row, fc.interval, now)
        if fc.name and row.name != fc.name:
            row.name = fc.name
        rows.append(row)
    session.flush()
    return rows


def _rows_by_url(session: Session, urls: list[str]) -> dict[str, Feed]:
    """The stored sources of ``urls`` (only those: the table holds every search and records
    source too), read a slice at a time."""
    return {f.url: f for part in chunks(urls)
            for f in session.scalars(select(Feed).where(Feed.url.in_(part)))}


def _set_interval(row: Feed, interval: float, now: datetime) -> None:
    """A source's configured interval changed: due no later than the new interval from now,
    and adaptive polling starts afresh."""
    if row.interval_s != interval:
        row.next_poll_at = min(row.next_poll_at, now + timedelta(seconds=interval))
        row.interval_s, row.poll_interval_s = interval, None


def add_source(session: Session, key: str, kind: str, params: Mapping[str, Any], name: str,
               interval_s: float) -> Feed:
    """The source keyed ``key``, created (due now) if new; racing writers make one row."""
    insert_ignore(session, Feed, [{
        "url": key, "kind": kind, "name": name, "interval_s": interval_s,
        "params": json.dumps(params, sort_keys=True, ensure_ascii=False),
        "next_poll_at": utcnow()}], ["url"])
    return session.scalars(select(Feed).where(Feed.url == key)).one()


class SourceSpec(Protocol):
    """A source the config asks for, of any kind (monitor.sources.base.ConfiguredSource)."""

    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def name(self) -> str: ...
    @property
    def interval(self) -> float: ...


def sync_sources(session: Session, specs: Sequence[SourceSpec]) -> None:
    """Create the rows of configured sources that have none, and bring name, interval and
    parameters up to date (written only when changed, so concurrent workers do not contend)."""
    if not specs:
        return
    existing = _rows_by_url(session, [spec.key for spec in specs])
    now = utcnow()
    missing = [{"url": spec.key, "kind": spec.kind, "name": spec.name[:200],
                "interval_s": spec.interval, "next_poll_at": now,
                "params": json.dumps(spec.params, sort_keys=True, ensure_ascii=False)}
               for spec in specs if spec.key not in existing]
    if missing:
        insert_ignore(session, Feed, missing, ["url"])
    for spec in specs:
        row = existing.get(spec.key)
        if row is None:
            continue
        params = json.dumps(spec.params, sort_keys=True, ensure_ascii=False)
        if row.params != params:
            row.params = params
        if row.name != spec.name[:200]:
            row.name = spec.name[:200]
        _set_interval(row, spec.interval, now)
    session.flush()


def list_sources(session: Session, feeds: Sequence[FeedSpec]) -> list[Feed]:
    """Every source: the configured feeds in the config's order (synced first), then the
    sources of other kinds in the order they were added."""
    others = session.scalars(select(Feed).where(Feed.kind != FEED_KIND).order_by(Feed.id))
    return sync_feeds(session, feeds) + list(others)


def claim_feeds(session: Session, owner: str, now: datetime, lease_s: float, limit: int,
                due_by: datetime, polled_before: datetime | None = None,
                exclude: Collection[int] = ()) -> list[Feed]:
    """Lease up to ``limit`` due sources to ``owner``; rows another worker holds are skipped.

    Due means ``next_poll_at <= due_by`` (or, with ``polled_before``, not polled since then:
    ``poll-once`` polls every feed). A lease that expired (its worker died) is taken over.
    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets workers claim at once without waiting on
    each other; SQLite, which has a single writer, ignores it and the UPDATE is atomic.
    """
    due = (Feed.next_poll_at <= due_by if polled_before is None
           else or_(Feed.last_polled_at.is_(None), Feed.last_polled_at < polled_before))
    picked = (select(Feed.id)
              .where(Feed.state != "disabled", due,
                     or_(Feed.lease_until.is_(None), Feed.lease_until < now),
                     Feed.id.not_in(list(exclude)))
              .order_by(Feed.next_poll_at, Feed.id).limit(limit)
              .with_for_update(skip_locked=True)
              .cte("picked"))
    stmt = (update(Feed).where(Feed.id == picked.c.id)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
            .returning(Feed))
    return list(session.scalars(stmt, execution_options={"synchronize_session": False}))


def release(feed: Feed, owner: str) -> None:
    """End ``owner``'s lease on ``feed`` (a lease taken over by another worker is left alone)."""
    if feed.lease_owner == owner:
        feed.lease_owner, feed.lease_until = None, None


def put_off(feed: Feed, owner: str, now: datetime) -> None:
    """Give back a claimed source that is not to be polled now, due again in one interval."""
    release(feed, owner)
    feed.next_poll_at = now + timedelta(seconds=feed.interval_s)


def release_leases(session: Session, feed_ids: Collection[int], owner: str) -> None:
    """Give back ``owner``'s leases on these sources, so another worker takes them now."""
    session.execute(update(Feed).where(Feed.id.in_(list(feed_ids)), Feed.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None)
                    .execution_options(synchronize_session=False))


def backoff_seconds(feed: Feed, retry_after: float | None) -> float:
    """Delay after a failure: Retry-After if given, else doubling with jitter, at most 6 h."""
    if retry_after is not None:
        return min(max(retry_after, feed.interval_s), 24 * 3600.0)
    base = feed.interval_s * 2 ** min(max(feed.error_count - 1, 0), 16)
    return min(MAX_BACKOFF, base) * random.uniform(0.85, 1.0)


def adopt_title(feed: Feed, configured: FeedSpec | None, title: str) -> None:
    """Name an unnamed feed after its own title, so alerts say "The Guardian", not a host
    (other kinds keep the name they were stored with)."""
    if feed.kind == FEED_KIND and title and (configured is None or configured.name is None):
        feed.name = title[:200]


def record_fetch(feed: Feed, result: PollOutcome, parse_error: str | None, now: datetime,
                 worker: str | None = None, interval: float | None = None) -> None:
    """Update the source's validators, health and next poll time; end ``worker``'s lease.
    ``interval``: adaptive polling's interval in force after a good poll (None: configured)."""
    if worker is not None:
        release(feed, worker)
    feed.last_polled_at = now
    if result.permanent_redirect and result.permanent_redirect != feed.url:
        feed.fetch_url = result.permanent_redirect
    if result.status == 410:
        feed.state, feed.last_error = "disabled", "HTTP 410 Gone: feed removed by its publisher"
        return
    error = result.error or parse_error
    if error:
        feed.error_count += 1
        feed.state, feed.last_error = "failing", error
        feed.next_poll_at = now + timedelta(seconds=backoff_seconds(feed, result.retry_after))
        return
    feed.state, feed.last_error, feed.error_count = "ok", None, 0
    if result.status == 200:
        feed.etag = result.headers.get("etag")
        feed.last_modified = result.headers.get("last-modified")
    if interval is not None:
        feed.poll_interval_s = interval
    wait = feed.poll_interval_s or feed.interval_s
    jitter = random.uniform(0, min(30.0, wait * 0.05))
    feed.next_poll_at = now + timedelta(seconds=wait + jitter)


def feeds_by_id(session: Session, ids: Collection[int]) -> dict[int, Feed]:
    """The feed rows with these ids (a feed deleted meanwhile is simply absent)."""
    return {f.id: f for f in session.scalars(select(Feed).where(Feed.id.in_(list(ids))))}


# --- Feed counts and times for the service (metrics, health, the daemon's scheduler) ---

def count_by_state(session: Session) -> dict[str, int]:
    """How many feeds are in each state (states with none are absent)."""
    return dict(session.execute(select(Feed.state, func.count())
                                .group_by(Feed.state)).all())


def last_polled_at(session: Session) -> datetime | None:
    """When any feed was last polled; None before the first poll."""
    return session.scalar(select(func.max(Feed.last_polled_at)))


def next_poll_times(session: Session, urls: Collection[str]) -> list[datetime]:
    """When each source that is not disabled is next due: the feeds of ``urls`` (the config's)
    and every source of another kind (those are stored, not configured)."""
    rows = session.execute(select(Feed.url, Feed.kind, Feed.next_poll_at, Feed.state))
    return [t for url, kind, t, state in rows
            if (url in urls or kind != FEED_KIND) and state != "disabled"]
