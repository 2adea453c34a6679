"""Parse workers: fetched bytes to prepared entries (matched against watchlists), every core.

The pool's processes fork from a server process that imported only parsing and matching (no
database, HTTP or notification stack), so a worker costs ~50 MB of memory instead of a copy
of the daemon, and starts in milliseconds. The pool outlives a cycle (PARSE_POOLS; the daemon
ends its workers between cycles and keeps the fork server, SharedPool.idle), and each
watchlist version gets its own fork server, which builds the matcher once
(monitor.pipeline.matcherhost) before forking the workers: they share its memory instead of
building one each.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import select
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from monitor.config.watchlists import Watchlist
from monitor.matching import Matcher
from monitor.pages.read import PageReading, read_page
from monitor.pipeline.prepare import PreparedFeed, prepare_feed
from monitor.service.gctune import tune_gc
from monitor.sources import kind_modules
from monitor.sources.base import Response, Source

log = logging.getLogger(__name__)

MATCHER_FILE_ENV = "ICE_MONITOR_MATCHER_FILE"

_matcher: Matcher | None = None
_matcher_built_by: int | None = None


def set_shared_matcher(matcher: Matcher) -> None:
    """Install the matcher the fork server built; its workers inherit it."""
    global _matcher, _matcher_built_by
    _matcher, _matcher_built_by = matcher, os.getpid()


def matcher_origin() -> tuple[int | None, int]:
    """(pid of the process that built this process's matcher, own pid): shows sharing."""
    return _matcher_built_by, os.getpid()


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


def _init_worker(daemon_pid: int) -> None:
    """A worker matches with the matcher its fork server built; without one it must not
    run (entries would go unmatched), so the pool breaks and the daemon parses instead."""
    _exit_with(daemon_pid)
    if _matcher is None:
        raise RuntimeError("the parse fork server has no matcher (see its error above)")
    tune_gc()


def parse_and_prepare(matcher: Matcher, kind: Source, params: Mapping[str, Any],
                      pages: Sequence[Response]) -> PreparedFeed:
    """Parse a poll's responses by their source's kind, then prepare the entries: the same two
    steps whether they run in a worker or, without a pool, in the daemon process."""
    return prepare_feed(kind.parse(pages, params), matcher)


def parse_in_worker(kind: Source, params: Mapping[str, Any],
                    pages: Sequence[Response]) -> PreparedFeed:
    """``parse_and_prepare`` with the matcher this worker's fork server built."""
    if _matcher is None:
        raise RuntimeError("this process has no shared matcher: it is not a parse worker")
    return parse_and_prepare(_matcher, kind, params, pages)


def read_page_in_worker(html: bytes, url: str, title: str, summary: str) -> PageReading:
    """``monitor.pages.read.read_page`` with the matcher this worker's fork server built."""
    if _matcher is None:
        raise RuntimeError("this process has no shared matcher: it is not a parse worker")
    return read_page(_matcher, html, url, title, summary)


def worker_pool(size: int) -> ProcessPoolExecutor:
    """``size`` parse workers, forked from the fork server of the version in force."""
    context = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=size, mp_context=context,
                               initializer=_init_worker, initargs=(os.getpid(),))


def _start_pool(watchlists: Sequence[Watchlist], size: int) -> ProcessPoolExecutor:
    """Start a fork server that builds the matcher for these watchlists, and a pool on it;
    returns once the first worker forked, so once the matcher is built. The server reads the
    watchlists from a file private to this user, deleted then: a server restarted later has
    none, so its workers refuse to start and the pool is replaced."""
    fd, path = tempfile.mkstemp(prefix="ice-monitor-matcher-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(list(watchlists), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.environ[MATCHER_FILE_ENV] = path
        multiprocessing.get_context("forkserver").set_forkserver_preload(
            ["monitor.pipeline.matcherhost", "monitor.pages.read", "trafilatura",
             *kind_modules()])
        multiprocessing.forkserver.ensure_running()
        pool = worker_pool(size)
        try:
            pool.submit(os.getpid).result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        return pool
    finally:
        os.environ.pop(MATCHER_FILE_ENV, None)
        os.unlink(path)


def stop_fork_server() -> None:
    """Stop the fork server (and so free its matcher) once its workers have ended.

    multiprocessing has no public call for this; the private one used is checked by
    tests/unit/pipeline/test_parse_pool.py::test_fork_server_stop_api_still_exists."""
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]  # private API


KEEP_SERVER_S = 2.0  # a fork server slower than this to start is never ended while idle
UNUSED_SERVER_S = 60.0  # an idle fork server unused this long is ended (release_unused)


class SharedPool:
    """The parse pool for the watchlists in force, kept across cycles.

    Building a matcher of 100,000 aliases takes seconds, so the pool (and the fork server that
    built its matcher) is only replaced when the watchlists' content (or the size) changes,
    or after a worker died. ``keep_server_s``: a fork server that took at least this long to
    start is kept however long it is unused; a quicker one is ended by ``release_unused``."""

    def __init__(self, keep_server_s: float = KEEP_SERVER_S) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._version: tuple[tuple[Watchlist, ...], int] | None = None
        self.keep_server_s = keep_server_s
        self._start_s = 0.0  # how long the running fork server took to start
        self._idle_since: float | None = None  # when its workers were last ended

    def get(self, watchlists: Sequence[Watchlist], size: int) -> ProcessPoolExecutor | None:
        """The pool for this version, started (and the previous one ended) if it changed;
        None if its matcher could not be built. Blocks while the fork server builds it."""
        version = (tuple(watchlists), size)
        with self._lock:
            self._idle_since = None
            if self._version is not None and self._version != version:
                self._end()  # also an idle fork server: it holds the old version's matcher
            elif self._pool is not None and not _healthy(self._pool):
                self._end()
            if self._pool is None and self._version == version:
                self._pool = _refork(size)  # idle: new workers from the running fork server
                if self._pool is None:
                    self._end()
            if self._pool is None:
                try:
                    started = time.monotonic()
                    self._pool, self._version = _start_pool(version[0], size), version
                    self._start_s = time.monotonic() - started
                except Exception:  # noqa: BLE001 - without workers the daemon parses itself
                    log.exception("the parse workers could not start; parsing in the daemon "
                                  "process")
                    stop_fork_server()
            return self._pool

    def idle(self) -> None:
        """End the workers between cycles but keep their fork server, and so its matcher:
        an idle worker holds ~50 MB, and forking new ones at the next cycle takes
        milliseconds, not a matcher build."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None  # the version stays: its fork server still runs
                self._idle_since = time.monotonic()

    def release_unused(self, after_s: float = UNUSED_SERVER_S) -> bool:
        """End an idle fork server (~50 MB with its matcher) unused for ``after_s`` seconds,
        if it started in under ``keep_server_s`` (~0.6 s with the shipped watchlists): a
        quiet daemon holds none, a busy one keeps its own. True if one was ended."""
        with self._lock:
            if (self._pool is None and self._version is not None
                    and self._idle_since is not None
                    and time.monotonic() - self._idle_since >= after_s
                    and self._start_s < self.keep_server_s):
                self._end()
                return True
            return False

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
        if self._version is not None:
            stop_fork_server()
        self._pool = self._version = self._idle_since = None


def _refork(size: int) -> ProcessPoolExecutor | None:
    """A pool forked from the fork server left running by ``SharedPool.idle``; None when
    that server is gone (its workers refuse to start), so a new one must be built."""
    pool = worker_pool(size)
    try:
        pool.submit(os.getpid).result()
    except Exception:  # noqa: BLE001 - a fork server that died while idle: build anew
        pool.shutdown(wait=True, cancel_futures=True)
        return None
    return pool


def _healthy(pool: ProcessPoolExecutor) -> bool:
    """Not broken and every worker alive: a worker killed while idle (OOM killer) would
    otherwise fail the next feed sent to the pool. The executor offers no public check."""
    processes = getattr(pool, "_processes", None) or {}
    return not getattr(pool, "_broken", False) and all(p.is_alive() for p in processes.values())


PARSE_POOLS = SharedPool()
