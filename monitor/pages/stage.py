"""The page step of a cycle, after the store: new stories' article pages (and earlier ones
due for a retry) are fetched politely, read in the parse workers, and their body hits stored
and queued for alerting. The stories are already stored: a page that fails holds none back."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta

from monitor.config import PollingConfig
from monitor.pages.fetcher import UNREACHED, fetch_pages
from monitor.pages.page import Page
from monitor.pages.read import PageReading, read_page
from monitor.pipeline.aio import stopped
from monitor.pipeline.pool import PARSE_POOLS, read_page_in_worker
from monitor.pipeline.stats import CycleStats
from monitor.query.routing import stored_story_admits
from monitor.service.runtime import Runtime
from notifiers.outbox import enqueue
from storage.hits import story_hits
from storage.models import utcnow
from storage.pages import (
    DuePage,
    claim_due,
    delivered_targets,
    record_failure,
    record_page,
    release_claims,
    story_language,
)
from storage.stories import hit_row, insert_hits

log = logging.getLogger(__name__)

PAGE_BATCH = 200  # pages claimed per cycle, at most
POOL_PAGES = 2  # fewer pages are read in the daemon process
RETRY_DELAYS = (300.0, 1800.0, 7200.0, 21600.0)  # after each failed try; then given up
FOR_GOOD = frozenset({"robots", "not_html", "too_large", "bad_url", "redirects"})
BODY_CHARS = 200_000  # extracted text kept per page
MIN_STEP_SECONDS = 60.0  # the step's time budget: at least this long,
TIMEOUTS_PER_STEP = 4.0  # or this many [polling] timeouts; then the rest waits a cycle


def step_budget(polling: PollingConfig) -> float:
    """How long one page step may fetch (Crawl-delay waits included) before it stops."""
    return max(MIN_STEP_SECONDS, TIMEOUTS_PER_STEP * polling.timeout)


def page_step(rt: Runtime, stats: CycleStats, stop: threading.Event | None = None) -> None:
    """Fetch, read and store the pages due now (one batch, within the step's time budget:
    a slow host's Crawl-delay cannot hold the cycle; the pages not reached stay due, and
    after a stop request every page claimed, unread)."""
    now = utcnow()
    budget = step_budget(rt.config.polling)
    lease = budget + 2 * rt.config.polling.timeout + 300.0
    with rt.db.session() as s:
        due = claim_due(s, now, lease, PAGE_BATCH)
    if not due:
        return
    pages = fetch_pages([d.url for d in due], rt.config.polling,
                        None if stop is None else stop.is_set, robots=rt.robots,
                        deadline=time.monotonic() + budget)
    if stopped(stop):  # reading would hold the stop: all stay due
        with rt.db.session() as s:
            release_claims(s, [d.id for d in due], utcnow())
        stats.pages_deferred += len(due)
        return
    readings = read_pages(rt, due, pages)
    with rt.db.session() as s:
        release_claims(s, [d.id for d, p in zip(due, pages, strict=True)
                           if p.failure == UNREACHED], utcnow())
        for item, page, reading in zip(due, pages, readings, strict=True):
            if page.failure == UNREACHED:
                stats.pages_deferred += 1
            elif isinstance(reading, PageReading):
                _store_reading(s, rt, item, page, reading, stats)
            else:
                _store_failure(s, item, page, reading, utcnow())
                stats.pages_failed += 1
    if rt.config.evidence.keep:  # the bytes just fetched are the story's evidence too
        from monitor.evidence.run import keep_fetched

        keep_fetched(rt, [(d.story_id, p) for d, p in zip(due, pages, strict=True) if p.ok])
    log.info("pages: %d read, %d not read, %d left for the next cycle", stats.pages_read,
             stats.pages_failed, stats.pages_deferred)


def read_pages(rt: Runtime, due: Sequence[DuePage],
               pages: Sequence[Page]) -> list[PageReading | str]:
    """Each fetched page read (in the parse workers when there are several), or why not."""
    results: list[PageReading | str] = [p.error or "not fetched" for p in pages]
    todo = [i for i, p in enumerate(pages) if p.ok]
    cores = os.cpu_count() or 1
    pool = PARSE_POOLS.get(rt.watchlists, cores) if len(todo) >= POOL_PAGES and cores > 1 \
        else None
    futures: dict[int, Future[PageReading]] = {}
    if pool is not None:
        try:
            futures = {i: pool.submit(read_page_in_worker, pages[i].body,
                                      pages[i].final_url or due[i].url, due[i].title,
                                      due[i].summary) for i in todo}
        except BrokenProcessPool:
            PARSE_POOLS.discard(pool)
    for i in todo:
        results[i] = _read_one(rt, due[i], pages[i], futures.get(i))
    return results


def _read_one(rt: Runtime, item: DuePage, page: Page,
              future: Future[PageReading] | None) -> PageReading | str:
    """One page read by its worker (or here); a page that cannot be read fails alone."""
    try:
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                log.error("a parse worker died on page %s; reading it here", item.url)
        return read_page(rt.matcher, page.body, page.final_url or item.url, item.title,
                         item.summary)
    except Exception as exc:  # noqa: BLE001 - one hostile page must not end the step
        log.warning("page %s could not be read: %s: %s", item.url, type(exc).__name__, exc)
        return f"unreadable: {type(exc).__name__}: {exc}"


def _store_reading(s, rt: Runtime, item: DuePage, page: Page, reading: PageReading,
                   stats: CycleStats) -> None:
    """The page's text, and its new body hits with their deliveries (a story is alerted to a
    subscriber's channel once, whatever field named it first)."""
    ex = reading.extracted
    record_page(s, item.id, {
        "fetched_at": page.fetched_at, "final_url": page.final_url, "status": page.status,
        "title": ex.title[:2000] or None, "author": (ex.author or "")[:500] or None,
        "published": (ex.published or "")[:64] or None, "language": ex.language,
        "body": ex.body[:BODY_CHARS]})
    stats.pages_read += 1
    hits = story_hits(s, [item.story_id]).get(item.story_id, [])
    known = {(h.watchlist, h.entity) for h in hits}
    new = [m for m in reading.matches if (m.watchlist, m.entity) not in known]
    if not new:
        return
    now = utcnow()
    insert_hits(s, [hit_row(item.story_id, m, now) for m in new])
    stats.hits += len(new)
    admits = stored_story_admits(item.title, item.summary, ex.body, [*hits, *new],
                                 story_language(s, item.story_id))
    stats.deliveries_queued += enqueue(s, item.story_id, new, rt.config.subscribers, admits,
                                       skip=delivered_targets(s, item.story_id))


def _store_failure(s, item: DuePage, page: Page, error: str, now: datetime) -> None:
    """A page not read: tried again later (a 404 too: a new story's page may not be up yet),
    unless it never will be readable."""
    if page.failure in FOR_GOOD:
        record_failure(s, item.id, error, page.status, None, "skipped")
        return
    if page.ok:  # fetched but unreadable: the same bytes would fail again
        record_failure(s, item.id, error, page.status, None)
        return
    retry_at = (now + timedelta(seconds=RETRY_DELAYS[item.attempts - 1])
                if item.attempts <= len(RETRY_DELAYS) else None)
    record_failure(s, item.id, error, page.status, retry_at)


def run_page_step(rt: Runtime, stats: CycleStats, stop: threading.Event | None = None) -> None:
    """``page_step`` as the cycle's last step: if it fails (the database, say), the stories
    are stored already and the claimed pages fall due again when their lease ends."""
    try:
        page_step(rt, stats, stop)
    except Exception:  # noqa: BLE001 - the cycle's stories are stored; pages wait
        log.exception("the page step failed; its pages will be tried again")
