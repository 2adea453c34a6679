"""One polling cycle: fetch due feeds, parse them on every core, store, match, queue alerts."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError, OperationalError

from monitor.config import PollingConfig
from monitor.feeds import record_fetch, sync_feeds
from monitor.fetcher import FetchRequest, FetchResult, fetch_all
from monitor.ingest import IngestReport, ingest_entries
from monitor.parser import ParsedFeed, parse_feed
from monitor.runtime import Runtime
from storage import Feed
from storage.leases import claim_feeds, release
from storage.models import utcnow

log = logging.getLogger(__name__)

BATCH = 500
POOL_THRESHOLD = 16
STORE_ATTEMPTS = 3
CYCLE_BUDGET_S = 60.0  # then the cycle ends: alerts go out and a stop request is honoured


@dataclass
class CycleStats:
    """What a cycle did; ``poll-once --json`` prints this."""

    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    entries: int = 0
    new_stories: int = 0
    hits: int = 0
    deliveries_queued: int = 0
    notifications_sent: int = 0
    notifications_failed: int = 0
    duration_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _parse_result(result: FetchResult) -> ParsedFeed | None:
    if result.body is None:
        return None
    return parse_feed(result.body, result.final_url or result.url, result.headers)


def parse_results(results: Sequence[FetchResult]) -> list[ParsedFeed | None]:
    """Parse fetched bodies; a process pool puts both cores to work on large batches."""
    with_body = sum(1 for r in results if r.body is not None)
    if with_body < POOL_THRESHOLD or (os.cpu_count() or 1) < 2:
        return [_parse_result(r) for r in results]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        return list(pool.map(_parse_result, results, chunksize=8))


def _store_attempt(rt: Runtime, result: FetchResult, parsed: ParsedFeed | None,
                   now) -> tuple[IngestReport | None, bool]:
    """One transaction: the feed's entries and its health; returns (report, failed)."""
    with rt.db.session() as s:
        feed = s.get(Feed, result.feed_id)
        if feed is None:
            return None, False
        report = None
        if parsed is not None and parsed.entries:
            report = ingest_entries(s, feed, parsed.entries, rt.matcher, rt.config.subscribers)
        record_fetch(feed, result, parsed.error if parsed is not None else None, now, rt.worker)
        return report, feed.state != "ok"


def _store_one(rt: Runtime, result: FetchResult, parsed: ParsedFeed | None,
               stats: CycleStats) -> None:
    """Store one feed's entries and health in one transaction; failures stay with that feed.

    A deadlock or conflict with another worker is retried (the retry sees the other's rows).
    """
    now = utcnow()
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            report, failed = _store_attempt(rt, result, parsed, now)
            break
        except (OperationalError, IntegrityError) as exc:
            if attempt < STORE_ATTEMPTS:
                log.info("storing feed %s clashed with another worker, retrying: %s",
                         result.url, type(exc.orig).__name__)
                continue
            error: Exception = exc
        except Exception as exc:  # noqa: BLE001 - one bad feed must never stop the cycle
            error = exc
        log.error("storing feed %s failed", result.url, exc_info=error)
        with rt.db.session() as s:
            feed = s.get(Feed, result.feed_id)
            if feed is not None:
                result.error = f"storage error: {type(error).__name__}: {error}"[:1000]
                record_fetch(feed, result, None, now, rt.worker)
        report, failed = None, True
        break
    if report is not None:
        stats.entries += report.entries
        stats.new_stories += report.new_stories
        stats.hits += report.hits
        stats.deliveries_queued += report.deliveries
    stats.feeds_polled += 1
    if failed:
        stats.feeds_failed += 1
        log.warning("feed %s failed: %s", result.url,
                    result.error or (parsed.error if parsed else None))
    elif result.not_modified:
        stats.feeds_not_modified += 1


def lease_seconds(polling: PollingConfig) -> float:
    """``[polling] lease``, else long enough to fetch a whole batch of slow feeds, plus a minute."""
    if polling.lease:
        return polling.lease
    return polling.timeout * math.ceil(BATCH / polling.concurrency) + 60.0


def _claim(rt: Runtime, configured: set[str], cycle_start,
           force: bool) -> tuple[int, list[FetchRequest]]:
    """Lease the next batch of due feeds: (how many, what to fetch); feeds no longer in this
    config are put off by their interval instead of fetched."""
    now = utcnow()
    with rt.db.session() as s:
        feeds = claim_feeds(s, rt.worker, now, lease_seconds(rt.config.polling), BATCH,
                            due_by=now,
                            polled_before=cycle_start if force else None)
        requests = []
        for f in feeds:
            if f.url in configured:
                requests.append(FetchRequest(f.id, f.fetch_url or f.url, f.etag,
                                             f.last_modified))
            else:
                release(f, rt.worker)
                f.next_poll_at = now + timedelta(seconds=f.interval_s)
        return len(feeds), requests


def poll_cycle(rt: Runtime, force: bool = False, deliver: bool = True) -> CycleStats:
    """Poll every due feed (``force``: all of them), then send due alerts."""
    started = time.monotonic()
    stats = CycleStats()
    cycle_start = utcnow()
    with rt.db.session() as s:
        sync_feeds(s, rt.config.feeds)
    configured = {f.url for f in rt.config.feeds}
    # Claim a batch at a time, so a lease only has to outlive one batch's fetch and store;
    # a worker with a backlog keeps claiming (up to CYCLE_BUDGET_S) instead of idling.
    while force or time.monotonic() - started < CYCLE_BUDGET_S:
        claimed, batch = _claim(rt, configured, cycle_start, force)
        if not claimed:
            break
        results = asyncio.run(fetch_all(batch, rt.config.polling))
        for result, parsed in zip(results, parse_results(results), strict=True):
            _store_one(rt, result, parsed, stats)
    if deliver:
        report = rt.outbox.deliver_due()
        stats.notifications_sent = report.sent
        stats.notifications_failed = report.failed + report.retrying
    stats.duration_s = round(time.monotonic() - started, 3)
    log.info("cycle: %d feeds polled (%d failed, %d unchanged), %d new stories, %d hits, "
             "%d alerts sent in %.1fs", stats.feeds_polled, stats.feeds_failed,
             stats.feeds_not_modified, stats.new_stories, stats.hits, stats.notifications_sent,
             stats.duration_s)
    return stats
