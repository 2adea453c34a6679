"""One polling cycle: fetch due feeds, parse and prepare them on every core, dedup and store
them, queue alerts (sending them is monitor.pipeline.deliver's)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from monitor.dedup.neardup import NearDupIndex
from monitor.dedup.recent import load_recent
from monitor.pages.stage import run_page_step
from monitor.pipeline.aio import run_io, stopped, watch_stop
from monitor.pipeline.claims import CLAIM_BELOW, Claims, release_unpolled
from monitor.pipeline.fetch import (
    FetchRequest,
    FetchResult,
    Slots,
    fetch_one,
    host_spacing,
    make_session,
)
from monitor.pipeline.pool import PARSE_POOLS, parse_and_prepare, parse_in_worker
from monitor.pipeline.prepare import PreparedFeed
from monitor.pipeline.stats import CycleStats
from monitor.pipeline.storequeue import StoreQueue
from monitor.service import metrics
from monitor.service.runtime import Runtime
from monitor.sources import source_kind
from monitor.trends.run import after_cycle
from storage.sources import sync_feeds, sync_sources

log = logging.getLogger(__name__)

POOL_THRESHOLD = 16
PARSE_BACKLOG = 200


async def _run_until_stopped(work, stop: threading.Event | None) -> None:
    """Await ``work``; cancel it when ``stop`` is set (feeds not yet stored stay due)."""
    task = asyncio.ensure_future(work)
    if await watch_stop(task, None if stop is None else stop.is_set, task.cancel):
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return
    task.result()


async def _poll_all(rt: Runtime, claims: Claims, first: Sequence[FetchRequest],
                    stats: CycleStats, load_index: Callable[[], NearDupIndex] | None,
                    stop: threading.Event | None = None) -> None:
    """Fetch, parse and store as a pipeline: bodies are parsed on every core while other feeds
    are still downloading, parsed feeds are stored together as they become ready, and the
    next batch of due feeds is claimed while the last one is still in flight."""
    loop = asyncio.get_running_loop()
    cores = os.cpu_count() or 1
    backlog = asyncio.Semaphore(PARSE_BACKLOG)
    pool_alive = len(first) >= POOL_THRESHOLD and cores > 1
    pool_ready: asyncio.Future[ProcessPoolExecutor | None] | None = None
    pool_calls: set[asyncio.Future] = set()  # awaited before the cycle ends, even when cut
    store = StoreQueue(rt, stats, load_index, claims.outstanding)
    slots = Slots(rt.config.polling, host_spacing(
        (r.key, source_kind(r.kind)) for r in rt.record_sources))

    def on_thread(call, *args) -> asyncio.Future:
        """``call`` off the event loop; callers await it shielded and the cycle waits for it,
        so the shared pool is never started or ended behind a stop."""
        done = asyncio.ensure_future(asyncio.to_thread(call, *args))
        pool_calls.add(done)
        return done

    async def parse(req: FetchRequest, result: FetchResult) -> PreparedFeed:
        """Parse and prepare on the pool; a crash (worker killed, matcher error) fails that feed
        alone. The pool is got at the first body (a cycle of 304s starts none), off the event
        loop: a new watchlist version's matcher takes seconds to build."""
        nonlocal pool_alive, pool_ready
        pool = None
        try:
            args = (req.kind, req.params, result.pages)
            if pool_alive:
                if pool_ready is None:
                    pool_ready = on_thread(PARSE_POOLS.get, rt.watchlists, cores)
                pool = await asyncio.shield(pool_ready)
                pool_alive = pool is not None
            if pool is not None:
                return await loop.run_in_executor(pool, parse_in_worker, *args)
            return parse_and_prepare(rt.matcher, *args)
        except BrokenProcessPool:
            pool_alive = False
            if pool is not None:
                await asyncio.shield(on_thread(PARSE_POOLS.discard, pool))  # the fork server
            log.error("a parse worker died on %s; parsing in this process for the rest of the "
                      "cycle", result.url)
            return PreparedFeed.failed("the parse worker died on this feed")
        except Exception as exc:  # noqa: BLE001 - one hostile feed must not end the cycle
            log.exception("parsing %s failed", result.url)
            return PreparedFeed.failed(f"parse failed: {type(exc).__name__}: {exc}"[:500])

    async def one(session, req: FetchRequest) -> None:
        async with backlog:
            if stopped(stop):
                return
            result = await fetch_one(session, req, rt.config.polling, slots)
            metrics.observe_fetches([result])
            prepared = None
            if result.body is not None:
                prepared = await parse(req, result)
                result.pages = ()
                stats.feeds_fast_parsed += prepared.parsed.fast
        store.put(result, prepared)

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
        await asyncio.gather(*pool_calls, return_exceptions=True)


async def _until_fewer_unstored(claims: Claims, store: StoreQueue,
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


def poll_cycle(rt: Runtime, force: bool = False,
               stop: threading.Event | None = None) -> CycleStats:
    """Poll every due feed (``force``: all of them); their alerts are queued, not sent.

    ``stop`` set: cancel fetches in flight and return; unstored feeds stay due."""
    started = time.monotonic()
    stats = CycleStats()
    with rt.db.session() as s:
        sync_feeds(s, rt.config.feeds)
        sync_sources(s, rt.configured_sources)
    claims = Claims(rt, force, stop)
    first = claims.next()
    if first:
        def load_index() -> NearDupIndex:
            return load_recent(rt.db, claims.cycle_start)

        try:
            run_io(_poll_all(rt, claims, first, stats, load_index, stop))
        except BaseException:
            release_unpolled(rt, list(claims.outstanding))
            raise
        if stopped(stop):
            release_unpolled(rt, list(claims.outstanding))
    if not stopped(stop):
        run_page_step(rt, stats, stop)  # new stories' article pages, and retries now due
    level = logging.INFO if stats.feeds_polled else logging.DEBUG
    log.log(level, "cycle: %d feeds polled (%d failed, %d unchanged), %d new stories, %d hits, "
             "%d deliveries queued in %.1fs", stats.feeds_polled, stats.feeds_failed,
             stats.feeds_not_modified, stats.new_stories, stats.hits, stats.deliveries_queued,
             time.monotonic() - started)
    if not stopped(stop):  # a stopping daemon waits for none
        stats.spikes = after_cycle(rt, bool(stats.new_stories or stats.hits))
    stats.duration_s = round(time.monotonic() - started, 3)
    metrics.observe_cycle(stats)
    return stats
