"""One polling cycle: fetch due feeds, parse them on every core, store, match, queue alerts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from monitor.dedup.neardup import NearDupIndex
from monitor.pipeline.claims import CLAIM_BELOW, Claims, release_unpolled, stopped
from monitor.pipeline.fetch import FetchRequest, FetchResult, Slots, fetch_one, make_session
from monitor.pipeline.pool import PARSE_POOLS, parse_and_match
from monitor.pipeline.store import IngestReport, ingest_feeds, recent_index
from monitor.service import metrics
from monitor.service.runtime import Runtime
from monitor.sources.entry import Parsed
from monitor.text import error_line
from storage import Feed
from storage.models import utcnow
from storage.sources import adopt_title, record_fetch, sync_feeds

log = logging.getLogger(__name__)

POOL_THRESHOLD = 16
STORE_ATTEMPTS = 3
PARSE_BACKLOG = 200
STORE_FEEDS = 200  # feeds per store transaction, at most
STORE_ENTRIES = 2500  # entries per store transaction, about
STORE_GATHER_S = 0.05  # a transaction waits this long for more feeds to share it
STOP_CHECK_S = 0.1


@dataclass
class CycleStats:
    """What a cycle did; ``poll-once --json`` prints this."""

    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    feeds_fast_parsed: int = 0  # parsed by the lxml fast path, not feedparser
    entries: int = 0
    entries_skipped: int = 0  # unreadable or unstorable entries (their feeds were kept)
    entries_sharing_guid: int = 0  # distinct entries that shared a GUID, kept apart
    new_stories: int = 0
    backlog_not_alerted: int = 0  # stories with hits older than [polling] backlog, first poll
    hits: int = 0
    deliveries_queued: int = 0
    notifications_sent: int = 0
    notifications_failed: int = 0
    duration_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


async def _run_until_stopped(work, stop: threading.Event | None) -> None:
    """Await ``work``; cancel it when ``stop`` is set (feeds not yet stored stay due)."""
    task = asyncio.ensure_future(work)
    while not task.done():
        if stopped(stop):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return
        await asyncio.wait({task}, timeout=STOP_CHECK_S)
    task.result()


async def _poll_all(rt: Runtime, claims: Claims, first: Sequence[FetchRequest],
                    stats: CycleStats, neardup: NearDupIndex | None,
                    stop: threading.Event | None = None) -> None:
    """Fetch, parse and store as a pipeline: bodies are parsed on every core while other feeds
    are still downloading, parsed feeds are stored together as they become ready, and the
    next batch of due feeds is claimed while the last one is still in flight."""
    loop = asyncio.get_running_loop()
    cores = os.cpu_count() or 1
    backlog = asyncio.Semaphore(PARSE_BACKLOG)
    pool_alive = len(first) >= POOL_THRESHOLD and cores > 1
    pool_ready: asyncio.Future[ProcessPoolExecutor | None] | None = None
    store = _StoreQueue(rt, stats, neardup, claims)
    slots = Slots(rt.config.polling)

    async def parse(req: FetchRequest, result: FetchResult) -> Parsed | None:
        """Parse on the pool; a crash (worker killed, matcher error) fails that feed alone.
        The pool is got at the first body (a cycle of 304s starts none), off the event loop:
        a new watchlist version's matcher takes seconds to build."""
        nonlocal pool_alive, pool_ready
        pool = None
        try:
            args = (req.kind, req.params, result.pages)
            if pool_alive:
                if pool_ready is None:
                    pool_ready = asyncio.ensure_future(
                        asyncio.to_thread(PARSE_POOLS.get, rt.watchlists, cores))
                pool = await pool_ready
                pool_alive = pool is not None
            if pool is not None:
                return await loop.run_in_executor(pool, parse_and_match, *args)
            return parse_and_match(*args)
        except BrokenProcessPool:
            pool_alive = False
            await asyncio.to_thread(PARSE_POOLS.discard, pool)  # waits for the fork server
            log.error("a parse worker died on %s; parsing in this process for the rest of the "
                      "cycle", result.url)
            return Parsed([], error="the parse worker died on this feed")
        except Exception as exc:  # noqa: BLE001 - one hostile feed must not end the cycle
            log.exception("parsing %s failed", result.url)
            return Parsed([], error=f"parse failed: {type(exc).__name__}: {exc}"[:500])

    async def one(session, req: FetchRequest) -> None:
        async with backlog:
            if stopped(stop):
                return
            result = await fetch_one(session, req, rt.config.polling, slots)
            metrics.observe_fetches([result])
            parsed = None
            if result.body is not None:
                parsed = await parse(req, result)
                result.pages = ()
                stats.feeds_fast_parsed += parsed is not None and parsed.fast
        store.put(result, parsed)

    async def fetch_and_parse() -> None:
        async with make_session(rt.config.polling) as session:
            tasks: set[asyncio.Future] = set()
            try:
                batch: Sequence[FetchRequest] | None = first
                while batch:
                    tasks.update(asyncio.ensure_future(one(session, r)) for r in batch)
                    tasks = await _until_fewer_unstored(claims, store, tasks)
                    batch = claims.next()
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                # inside the session: a cancelled fetch must not see it closed and fail
                await asyncio.gather(*tasks, return_exceptions=True)

    storer = asyncio.ensure_future(store.run())
    fetching = asyncio.ensure_future(_run_until_stopped(fetch_and_parse(), stop))
    try:
        await asyncio.wait({storer, fetching}, return_when=asyncio.FIRST_COMPLETED)
        if storer.done():  # it ends early only by failing: stop fetching what cannot be stored
            fetching.cancel()
            storer.result()
        fetching.result()
        store.close()
        await storer  # what was fetched and parsed before a stop is still stored
    finally:
        fetching.cancel()
        storer.cancel()


async def _until_fewer_unstored(claims: Claims, store: _StoreQueue,
                                tasks: set[asyncio.Future]) -> set[asyncio.Future]:
    """Wait until fewer than CLAIM_BELOW claimed feeds are unstored (memory stays bounded and
    leases cover what waits here); return the fetches still running, raising their errors."""
    while True:
        for task in [t for t in tasks if t.done()]:
            task.result()
            tasks.discard(task)
        if len(claims.outstanding) < CLAIM_BELOW:
            return tasks
        stored = asyncio.ensure_future(store.stored.wait())
        await asyncio.wait({stored, *tasks}, return_when=asyncio.FIRST_COMPLETED)
        stored.cancel()
        store.stored.clear()


class _StoreQueue:
    """Parsed feeds waiting to be stored; one transaction takes every feed ready by then.

    Storing runs on the event loop, so while one batch is written the next one gathers: the
    busier the loop, the bigger (and cheaper per feed) the transactions.
    """

    def __init__(self, rt: Runtime, stats: CycleStats, neardup: NearDupIndex | None,
                 claims: Claims) -> None:
        self.rt, self.stats, self.neardup, self.claims = rt, stats, neardup, claims
        self.ready: list[tuple[FetchResult, Parsed | None]] = []
        self.wake = asyncio.Event()
        self.stored = asyncio.Event()  # set after each transaction
        self.closed = False

    def put(self, result: FetchResult, parsed: Parsed | None) -> None:
        self.ready.append((result, parsed))
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.ready:
                if not self.closed:
                    await asyncio.sleep(STORE_GATHER_S)  # let more finished feeds queue up
                batch = self._take()
                _store_many(self.rt, batch, self.stats, self.neardup)
                self.claims.outstanding.difference_update(r.feed_id for r, _ in batch)
                self.stored.set()
            if self.closed:
                return

    def _take(self) -> list[tuple[FetchResult, Parsed | None]]:
        """The oldest ready feeds, up to STORE_FEEDS feeds or STORE_ENTRIES entries."""
        entries = 0
        for count, (_, parsed) in enumerate(self.ready, start=1):
            entries += len(parsed.entries) if parsed is not None else 0
            if count >= STORE_FEEDS or entries >= STORE_ENTRIES:
                break
        batch, self.ready[:count] = self.ready[:count], []
        return batch


Outcome = tuple[FetchResult, Parsed | None, bool]  # (result, parsed, feed failed)


def _store_tx(rt: Runtime, batch: Sequence[tuple[FetchResult, Parsed | None]],
              neardup: NearDupIndex | None,
              now) -> tuple[IngestReport | None, list[Outcome]]:
    """One transaction: the feeds' entries and health. The report is published (near-duplicate
    index, metrics) only once committed. Feeds gone from the database are skipped."""
    report = None
    outcomes: list[Outcome] = []
    with rt.db.session() as s:
        feeds = {f.id: f for f in s.scalars(
            select(Feed).where(Feed.id.in_([r.feed_id for r, _ in batch])))}
        found = [(r, p, feeds[r.feed_id]) for r, p in batch if r.feed_id in feeds]
        for _, parsed, feed in found:
            if parsed is not None:
                adopt_title(feed, rt.feeds_by_url.get(feed.url), parsed.title)
        with_entries = [(feed, p.entries) for _, p, feed in found if p and p.entries]
        if with_entries:
            report = ingest_feeds(s, with_entries, rt.matcher, rt.config.subscribers, neardup,
                                  rt.config.polling.backlog)
        for result, parsed, feed in found:
            record_fetch(feed, result, parsed.error if parsed else None, now, rt.worker)
            outcomes.append((result, parsed, feed.state != "ok"))
    if report is not None:
        report.committed(neardup)
    return report, outcomes


def _store_many(rt: Runtime, batch: list[tuple[FetchResult, Parsed | None]],
                stats: CycleStats, neardup: NearDupIndex | None) -> None:
    """Store several feeds' entries and health in one transaction; if that fails for any
    reason, each feed is stored alone, so a failure stays with the feed that caused it."""
    try:
        report, outcomes = _store_tx(rt, batch, neardup, utcnow())
    except Exception as exc:  # noqa: BLE001 - fall back to one transaction per feed
        log.warning("storing %d feeds together failed (%s); storing each alone",
                    len(batch), error_line(exc))
        for result, parsed in batch:
            _store_one(rt, result, parsed, stats, neardup)
        return
    _tally(stats, report)
    for outcome in outcomes:
        _count(stats, *outcome)


def _tally(stats: CycleStats, report: IngestReport | None) -> None:
    if report is None:
        return
    stats.entries += report.entries
    stats.entries_skipped += report.skipped
    stats.backlog_not_alerted += report.backlog
    stats.new_stories += report.new_stories
    stats.hits += report.hits
    stats.deliveries_queued += report.deliveries


def _count(stats: CycleStats, result: FetchResult, parsed: Parsed | None,
           failed: bool) -> None:
    stats.feeds_polled += 1
    if parsed is not None and (parsed.skipped or parsed.shared_guids):
        _note_entries(stats, result.url, parsed)
    if failed:
        stats.feeds_failed += 1
        log.warning("feed %s failed: %s", result.url,
                    result.error or (parsed.error if parsed else None))
    elif result.not_modified:
        stats.feeds_not_modified += 1


def _note_entries(stats: CycleStats, url: str, parsed: Parsed) -> None:
    """Count (and say) what a feed's odd entries cost: none of them takes its feed down."""
    stats.entries_skipped += parsed.skipped
    stats.entries_sharing_guid += parsed.shared_guids
    if parsed.skipped:
        log.warning("feed %s: %d entries skipped, they cannot be read (%s); the others are kept",
                    url, parsed.skipped, parsed.skip_reason)
    if parsed.shared_guids:
        log.info("feed %s: %d distinct entries share a GUID; each is kept as its own story "
                 "(keyed by GUID and link)", url, parsed.shared_guids)


def _store_one(rt: Runtime, result: FetchResult, parsed: Parsed | None,
               stats: CycleStats, neardup: NearDupIndex | None = None) -> None:
    """Store one feed's entries and health in one transaction; failures stay with that feed.

    A deadlock or conflict with another worker is retried (the retry sees the other's rows).
    """
    now = utcnow()
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            report, outcomes = _store_tx(rt, [(result, parsed)], neardup, now)
        except (OperationalError, IntegrityError) as exc:
            if attempt < STORE_ATTEMPTS:
                log.info("storing feed %s clashed with another worker, retrying: %s",
                         result.url, type(exc.orig).__name__)
                continue
            error: Exception = exc
        except Exception as exc:  # noqa: BLE001 - one bad feed must never stop the cycle
            error = exc
        else:
            _tally(stats, report)
            _count(stats, result, parsed, any(failed for _, _, failed in outcomes))
            return
        break
    log.error("storing feed %s failed", result.url, exc_info=error)
    with rt.db.session() as s:
        feed = s.get(Feed, result.feed_id)
        if feed is not None:
            result.error = f"storage error: {type(error).__name__}: {error}"[:1000]
            record_fetch(feed, result, None, now, rt.worker)
    _count(stats, result, parsed, True)


def poll_cycle(rt: Runtime, force: bool = False, deliver: bool = True,
               stop: threading.Event | None = None) -> CycleStats:
    """Poll every due feed (``force``: all of them), then send due alerts.

    ``stop`` set: cancel fetches in flight and return; unstored feeds stay due."""
    started = time.monotonic()
    stats = CycleStats()
    with rt.db.session() as s:
        sync_feeds(s, rt.config.feeds)
    claims = Claims(rt, force, stop)
    neardup = recent_index(rt.db, claims.cycle_start)
    first = claims.next()
    if first:
        try:
            asyncio.run(_poll_all(rt, claims, first, stats, neardup, stop))
        except BaseException:
            release_unpolled(rt, list(claims.outstanding))
            raise
        if stopped(stop):
            release_unpolled(rt, list(claims.outstanding))
    level = logging.INFO if stats.feeds_polled else logging.DEBUG
    log.log(level, "cycle: %d feeds polled (%d failed, %d unchanged), %d new stories, %d hits, "
             "%d deliveries queued in %.1fs", stats.feeds_polled, stats.feeds_failed,
             stats.feeds_not_modified, stats.new_stories, stats.hits, stats.deliveries_queued,
             time.monotonic() - started)
    if deliver and not stopped(stop):
        report = rt.outbox.deliver_due(should_stop=stop.is_set if stop else None)
        metrics.observe_deliveries(report)
        stats.notifications_sent = report.sent
        stats.notifications_failed = report.failed + report.retrying
    stats.duration_s = round(time.monotonic() - started, 3)
    metrics.observe_cycle(stats)
    return stats
