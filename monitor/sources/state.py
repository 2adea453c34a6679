"""Feed bookkeeping: mirror the config's feed list, pick due feeds, record poll outcomes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import FeedConfig
from monitor.pipeline.fetch import FetchResult
from storage import Feed
from storage.models import utcnow
from storage.sources import release
from storage.upsert import insert_ignore

MAX_BACKOFF = 6 * 3600.0


def sync_feeds(session: Session, feeds: Sequence[FeedConfig]) -> list[Feed]:
    """Create rows for new config feeds and update names/intervals; return the configured ones.

    Several workers run this at once: new rows are inserted with ON CONFLICT DO NOTHING and
    a row is written only when it changed, so they neither clash nor contend.
    """
    existing = {f.url: f for f in session.scalars(select(Feed))}
    now = utcnow()
    missing = [{"url": fc.url, "name": fc.name or urlsplit(fc.url).hostname or fc.url,
                "interval_s": fc.interval, "next_poll_at": now}
               for fc in feeds if fc.url not in existing]
    if missing:
        insert_ignore(session, Feed, missing, ["url"])
        new = session.scalars(select(Feed).where(Feed.url.in_([m["url"] for m in missing])))
        existing.update((f.url, f) for f in new)
    rows = []
    for fc in feeds:
        row = existing[fc.url]
        if row.interval_s != fc.interval:
            row.next_poll_at = min(row.next_poll_at, now + timedelta(seconds=fc.interval))
            row.interval_s = fc.interval
        if fc.name and row.name != fc.name:
            row.name = fc.name
        rows.append(row)
    session.flush()
    return rows


def backoff_seconds(feed: Feed, retry_after: float | None) -> float:
    """Delay after a failure: Retry-After if given, else doubling with jitter, at most 6 h."""
    if retry_after is not None:
        return min(max(retry_after, feed.interval_s), 24 * 3600.0)
    base = feed.interval_s * 2 ** min(max(feed.error_count - 1, 0), 16)
    return min(MAX_BACKOFF, base) * random.uniform(0.85, 1.0)


def adopt_title(feed: Feed, configured: FeedConfig | None, title: str) -> None:
    """Name an unnamed feed after its own title, so alerts say "The Guardian", not a host."""
    if title and (configured is None or configured.name is None):
        feed.name = title[:200]


def record_fetch(feed: Feed, result: FetchResult, parse_error: str | None, now: datetime,
                 worker: str | None = None) -> None:
    """Update the feed's validators, health and next poll time; end ``worker``'s lease."""
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
    jitter = random.uniform(0, min(30.0, feed.interval_s * 0.05))
    feed.next_poll_at = now + timedelta(seconds=feed.interval_s + jitter)
