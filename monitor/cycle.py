"""One polling cycle: fetch due feeds, parse them on every core, store, match, queue alerts."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

from monitor import metrics
from monitor.cancel import fetch_unless_stopped, stopped
from monitor.feeds import adopt_title, due_feeds, record_fetch, sync_feeds
from monitor.fetcher import FetchRequest, FetchResult
from monitor.ingest import ingest_entries
from monitor.parser import ParsedFeed, parse_feed
from monitor.runtime import Runtime
from storage import Feed
from storage.models import utcnow

log = logging.getLogger(__name__)

BATCH = 500
POOL_THRESHOLD = 16


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


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


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


def _store_one(rt: Runtime, result: FetchResult, parsed: ParsedFeed | None,
               stats: CycleStats) -> None:
    """Store one feed's entries and health in one transaction; failures stay with that feed."""
    now = utcnow()
    try:
        with rt.db.session() as s:
            feed = s.get(Feed, result.feed_id)
            if feed is None:
                return
            parse_error = parsed.error if parsed is not None else None
            if parsed is not None:
                adopt_title(feed, rt.feeds_by_url.get(feed.url), parsed.title)
            if parsed is not None and parsed.entries:
                report = ingest_entries(s, feed, parsed.entries, rt.matcher,
                                        rt.config.subscribers)
                stats.entries += report.entries
                stats.new_stories += report.new_stories
                stats.hits += report.hits
                stats.deliveries_queued += report.deliveries
            record_fetch(feed, result, parse_error, now)
            failed = feed.state != "ok"
    except Exception as exc:  # noqa: BLE001 - one bad feed must never stop the cycle
        log.exception("storing feed %s failed", result.url)
        with rt.db.session() as s:
            feed = s.get(Feed, result.feed_id)
            if feed is not None:
                result.error = f"storage error: {type(exc).__name__}: {exc}"[:1000]
                record_fetch(feed, result, None, now)
        failed = True
    stats.feeds_polled += 1
    if failed:
        stats.feeds_failed += 1
        log.warning("feed %s failed: %s", result.url, result.error or parsed.error)
    elif result.not_modified:
        stats.feeds_not_modified += 1


def poll_cycle(rt: Runtime, force: bool = False, deliver: bool = True,
               stop: threading.Event | None = None) -> CycleStats:
    """Poll every due feed (``force``: all of them), then send due alerts.

    ``stop`` set: cancel fetches in flight and return; unstored feeds stay due."""
    started = time.monotonic()
    stats = CycleStats()
    with rt.db.session() as s:
        feeds = due_feeds(sync_feeds(s, rt.config.feeds), utcnow(), force=force)
        requests = [FetchRequest(f.id, f.fetch_url or f.url, f.etag, f.last_modified)
                    for f in feeds]
    for batch in _chunks(requests, BATCH):
        results = None if stopped(stop) else fetch_unless_stopped(batch, rt.config.polling, stop)
        if results is None:
            break
        metrics.observe_fetches(results)
        for result, parsed in zip(results, parse_results(results), strict=True):
            if stopped(stop):
                break
            _store_one(rt, result, parsed, stats)
    if deliver and not stopped(stop):
        report = rt.outbox.deliver_due(should_stop=stop.is_set if stop else None)
        metrics.observe_deliveries(report)
        stats.notifications_sent = report.sent
        stats.notifications_failed = report.failed + report.retrying
    stats.duration_s = round(time.monotonic() - started, 3)
    metrics.observe_cycle(stats)
    level = logging.INFO if stats.feeds_polled or stats.notifications_sent else logging.DEBUG
    log.log(level, "cycle: %d feeds polled (%d failed, %d unchanged), %d new stories, %d hits, "
             "%d alerts sent in %.1fs", stats.feeds_polled, stats.feeds_failed,
             stats.feeds_not_modified, stats.new_stories, stats.hits, stats.notifications_sent,
             stats.duration_s)
    return stats
