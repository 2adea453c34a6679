"""Parse workers: fetched bytes to entries with their watchlist matches, on every core.

The pool's processes fork from a server process that imported only this module (parsing and
matching; no database, HTTP or notification stack), so a worker costs ~50 MB of memory
instead of a copy of the daemon, and starts in milliseconds. The pool outlives a cycle
(PARSE_POOLS): a worker builds its matcher once per watchlist version, not once per cycle.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from monitor.gctune import tune_gc
from monitor.matching import Matcher
from monitor.parser import ParsedFeed, parse_feed
from monitor.watchlists import Watchlist

_matcher: Matcher | None = None


def _exit_with(daemon_pid: int) -> None:
    """Exit when the daemon does, even by kill -9: a worker's parent is the fork server, and
    each keeps the other alive (the server lives while a worker holds its pipe), so neither
    would notice; the resource tracker then exits as the last of them is gone."""
    try:
        pidfd = os.pidfd_open(daemon_pid)
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):  # not Linux ≥ 5.3: the pool's own shutdown must do
        return

    def watch() -> None:
        select.select([pidfd], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-daemon", daemon=True).start()


def _init_worker(watchlists: Sequence[Watchlist], daemon_pid: int) -> None:
    """Each worker builds its matcher once, so matching runs on every core too."""
    global _matcher
    _exit_with(daemon_pid)
    _matcher = Matcher(watchlists)
    tune_gc()


def parse_and_match(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
    """Parse a fetched document; in a worker, also match every entry (else the store does)."""
    parsed = parse_feed(body, url, headers)
    if _matcher is not None and parsed.entries:
        match = _matcher.match
        parsed = replace(parsed, entries=[
            replace(e, matches=tuple(match(e.title, e.summary, e.content)))
            for e in parsed.entries])
    return parsed


def worker_pool(watchlists: Sequence[Watchlist], size: int) -> ProcessPoolExecutor:
    """``size`` parse workers, forked from a lean server process started on first use."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers=size, mp_context=context,
                               initializer=_init_worker, initargs=(list(watchlists), os.getpid()))


class SharedPool:
    """The parse pool for the watchlists in force, kept across cycles.

    Building a matcher of 100,000 aliases takes seconds in each worker, so the pool is only
    replaced when the watchlists' content (or the size) changes, or after a worker died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._version: tuple[tuple[Watchlist, ...], int] | None = None

    def get(self, watchlists: Sequence[Watchlist], size: int) -> ProcessPoolExecutor:
        """The pool for this version, started (and the previous one ended) if it changed."""
        version = (tuple(watchlists), size)
        with self._lock:
            if self._pool is not None and (self._version != version or not _healthy(self._pool)):
                self._end()
            if self._pool is None:
                self._pool, self._version = worker_pool(version[0], size), version
            return self._pool

    def discard(self, pool: ProcessPoolExecutor) -> None:
        """Forget a broken pool, so the next cycle starts a new one."""
        with self._lock:
            if pool is self._pool:
                self._end()

    def close(self) -> None:
        """End the workers (daemon stop; the interpreter's exit would wait for them too)."""
        with self._lock:
            self._end()

    def _end(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._version = None



def _healthy(pool: ProcessPoolExecutor) -> bool:
    """Not broken and every worker alive: a worker killed while idle (OOM killer) would
    otherwise fail the next feed sent to the pool. The executor offers no public check."""
    processes = getattr(pool, "_processes", None) or {}
    return not getattr(pool, "_broken", False) and all(p.is_alive() for p in processes.values())


PARSE_POOLS = SharedPool()
