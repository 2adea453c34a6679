"""The store step of a cycle: prepared feeds queue up and are stored several to a transaction;
a transaction that fails is retried one feed at a time, so a failure stays with its feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from monitor.dedup.neardup import NearDupIndex
from monitor.dedup.recent import remember
from monitor.pages.policy import page_rule
from monitor.pipeline.adaptive import Bounds, next_interval
from monitor.pipeline.fetch import FetchResult
from monitor.pipeline.prepare import PreparedFeed
from monitor.pipeline.stats import CycleStats
from monitor.pipeline.store import StoreReport, store_feeds
from monitor.service import metrics
from monitor.service.runtime import Runtime
from monitor.sources import UnknownKind, source_kind
from monitor.sources.entry import Parsed
from monitor.text import error_line
from storage.models import Feed, utcnow
from storage.sources import adopt_title, feeds_by_id, record_fetch
from storage.stories import IntegrityError, OperationalError

log = logging.getLogger(__name__)

STORE_ATTEMPTS = 3
STORE_FEEDS = 200  # feeds per store transaction, at most
STORE_ENTRIES = 2500  # entries per store transaction, about
STORE_GATHER_S = 0.05  # a transaction waits this long for more feeds to share it

Ready = tuple[FetchResult, PreparedFeed | None]  # a fetched feed and, if it had a body, parsed
Outcome = tuple[FetchResult, PreparedFeed | None, bool]  # (result, prepared, feed failed)


class StoreQueue:
    """Prepared feeds waiting to be stored; one transaction takes every feed ready by then.

    Storing runs on the event loop, so while one batch is written the next one gathers: the
    busier the loop, the bigger (and cheaper per feed) the transactions. ``outstanding``: the
    ids of claimed feeds not yet stored, from which each stored feed is removed. The recent
    stories' near-duplicate index is loaded by ``load_index`` when the first entries arrive: a
    cycle of 304s never reads it.
    """

    def __init__(self, rt: Runtime, stats: CycleStats,
                 load_index: Callable[[], NearDupIndex] | None, outstanding: set[int]) -> None:
        self.rt, self.stats, self.outstanding = rt, stats, outstanding
        self.load_index = load_index
        self.neardup: NearDupIndex | None = None
        self.ready: list[Ready] = []
        self.wake = asyncio.Event()
        self.stored = asyncio.Event()  # set after each transaction
        self.closed = False

    def put(self, result: FetchResult, prepared: PreparedFeed | None) -> None:
        """Queue a fetched feed (``prepared`` is None when it had no body to parse)."""
        self.ready.append((result, prepared))
        self.wake.set()

    def close(self) -> None:
        """No more feeds: ``run`` stores what is queued, then returns."""
        self.closed = True
        self.wake.set()

    async def run(self) -> None:
        """Store queued feeds as they come, until closed and drained."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.ready:
                if not self.closed:
                    await asyncio.sleep(STORE_GATHER_S)  # let more finished feeds queue up
                batch = self._take()
                store_many(self.rt, batch, self.stats, self._index_for(batch))
                self.outstanding.difference_update(r.feed_id for r, _ in batch)
                self.stored.set()
            if self.closed:
                return

    def _index_for(self, batch: Sequence[Ready]) -> NearDupIndex | None:
        """The near-duplicate index, loaded at the first batch that has entries to store."""
        if self.neardup is None and self.load_index is not None \
                and any(p is not None and p.entries for _, p in batch):
            self.neardup = self.load_index()
        return self.neardup

    def _take(self) -> list[Ready]:
        """The oldest ready feeds, up to STORE_FEEDS feeds or STORE_ENTRIES entries."""
        entries = 0
        for count, (_, prepared) in enumerate(self.ready, start=1):
            entries += len(prepared.entries) if prepared is not None else 0
            if count >= STORE_FEEDS or entries >= STORE_ENTRIES:
                break
        batch, self.ready[:count] = self.ready[:count], []
        return batch


def store_tx(rt: Runtime, batch: Sequence[Ready], neardup: NearDupIndex | None,
             now: datetime) -> tuple[StoreReport | None, list[Outcome]]:
    """One transaction: the feeds' entries and health. What it stored is published (near-
    duplicate index, metrics) only once committed. Feeds gone from the database are skipped."""
    report = None
    outcomes: list[Outcome] = []
    with rt.db.session() as s:
        feeds = feeds_by_id(s, [r.feed_id for r, _ in batch])
        found = [(r, p, feeds[r.feed_id]) for r, p in batch if r.feed_id in feeds]
        for _, prepared, feed in found:
            if prepared is not None:
                adopt_title(feed, rt.feeds_by_url.get(feed.url), prepared.parsed.title)
        with_entries = [(feed, p.entries) for _, p, feed in found if p and p.entries]
        first = {feed.id for _, _, feed in found if feed.last_polled_at is None}
        if with_entries:
            report = store_feeds(s, with_entries, rt.config.subscribers, neardup,
                                 rt.config.polling.backlog, page_rule(rt.feeds_by_url))
        for result, prepared, feed in found:
            record_fetch(feed, result, prepared.parsed.error if prepared else None, now,
                         rt.worker, _interval(rt, feed, prepared, report, feed.id in first))
            outcomes.append((result, prepared, feed.state != "ok"))
    if report is not None:
        remember(neardup, report.fingerprints)
        metrics.observe_hits(report.matches)
    return report, outcomes


def _interval(rt: Runtime, feed: Feed, prepared: PreparedFeed | None,
              report: StoreReport | None, first_poll: bool) -> float:
    """Adaptive polling's next interval for ``feed`` from what this poll brought."""
    polling = rt.config.polling
    return next_interval(feed.poll_interval_s, feed.interval_s,
                         report.fresh_by_feed[feed.id] if report else 0,
                         len(prepared.entries) if prepared else 0,
                         Bounds(polling.min_interval, polling.max_interval), first_poll,
                         _floor(feed.kind))


def _floor(kind: str) -> float:
    """The kind's shortest interval (0 for a kind this version does not know)."""
    try:
        return source_kind(kind).min_poll_interval
    except UnknownKind:
        return 0.0


def store_many(rt: Runtime, batch: list[Ready], stats: CycleStats,
               neardup: NearDupIndex | None) -> None:
    """Store several feeds' entries and health in one transaction; if that fails for any
    reason, each feed is stored alone, so a failure stays with the feed that caused it."""
    try:
        report, outcomes = store_tx(rt, batch, neardup, utcnow())
    except Exception as exc:  # noqa: BLE001 - fall back to one transaction per feed
        log.warning("storing %d feeds together failed (%s); storing each alone",
                    len(batch), error_line(exc))
        for result, prepared in batch:
            store_one(rt, result, prepared, stats, neardup)
        return
    tally(stats, report)
    for outcome in outcomes:
        count(stats, *outcome)


def tally(stats: CycleStats, report: StoreReport | None) -> None:
    """Add what a transaction stored to the cycle's counts."""
    if report is None:
        return
    stats.entries += report.entries
    stats.entries_skipped += report.skipped
    stats.backlog_not_alerted += report.backlog
    stats.new_stories += report.new_stories
    stats.hits += report.hits
    stats.deliveries_queued += report.deliveries


def count(stats: CycleStats, result: FetchResult, prepared: PreparedFeed | None,
          failed: bool) -> None:
    """Count one stored feed: polled, and failed or unchanged."""
    stats.feeds_polled += 1
    parsed = prepared.parsed if prepared is not None else None
    if parsed is not None and (parsed.skipped or parsed.shared_guids):
        note_entries(stats, result.url, parsed)
    if failed:
        stats.feeds_failed += 1
        log.warning("feed %s failed: %s", result.url,
                    result.error or (parsed.error if parsed else None))
    elif result.not_modified:
        stats.feeds_not_modified += 1


def note_entries(stats: CycleStats, url: str, parsed: Parsed) -> None:
    """Count (and say) what a feed's odd entries cost: none of them takes its feed down."""
    stats.entries_skipped += parsed.skipped
    stats.entries_sharing_guid += parsed.shared_guids
    if parsed.skipped:
        log.warning("feed %s: %d entries skipped, they cannot be read (%s); the others are kept",
                    url, parsed.skipped, parsed.skip_reason)
    if parsed.shared_guids:
        log.info("feed %s: %d distinct entries share a GUID; each is kept as its own story "
                 "(keyed by GUID and link)", url, parsed.shared_guids)


def store_one(rt: Runtime, result: FetchResult, prepared: PreparedFeed | None,
              stats: CycleStats, neardup: NearDupIndex | None = None) -> None:
    """Store one feed's entries and health in one transaction; failures stay with that feed.

    A deadlock or conflict with another worker is retried (the retry sees the other's rows).
    """
    now = utcnow()
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            report, outcomes = store_tx(rt, [(result, prepared)], neardup, now)
        except (OperationalError, IntegrityError) as exc:
            if attempt < STORE_ATTEMPTS:
                log.info("storing feed %s clashed with another worker, retrying: %s",
                         result.url, type(exc.orig).__name__)
                continue
            error: Exception = exc
        except Exception as exc:  # noqa: BLE001 - one bad feed must never stop the cycle
            error = exc
        else:
            tally(stats, report)
            count(stats, result, prepared, any(failed for _, _, failed in outcomes))
            return
        break
    log.error("storing feed %s failed", result.url, exc_info=error)
    with rt.db.session() as s:
        feed = feeds_by_id(s, [result.feed_id]).get(result.feed_id)
        if feed is not None:
            result.error = f"storage error: {type(error).__name__}: {error}"[:1000]
            record_fetch(feed, result, None, now, rt.worker)
    count(stats, result, prepared, True)
