"""Parse workers build their matcher once per watchlist version, not once per cycle (issue 12)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from monitor import parsework
from monitor.cycle import POOL_THRESHOLD, poll_cycle
from monitor.runtime import assemble, load_runtime
from monitor.watchlists import Entity, Watchlist
from tests.conftest import write_config

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the pool needs 2 cores")


def _children(pid: int) -> set[int]:
    """Direct children of ``pid`` across all its threads, from /proc."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found.update(int(c) for c in Path(f"/proc/{pid}/task/{task}/children")
                         .read_text().split())
        except OSError:
            continue
    return found


def _workers() -> set[int]:
    """Processes forked by this process's fork server: the parse workers."""
    return {w for child in _children(os.getpid()) for w in _children(child)}


def _rss(i: int) -> bytes:
    link = f"https://news{i}.example/ice"
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
            f"<item><title>ICE agents detain workers in town {i}</title><link>{link}</link>"
            f"<guid>{link}</guid></item></channel></rss>").encode()


def test_workers_and_their_matchers_live_across_cycles_of_one_version(tmp_path, feed_server):
    parsework.PARSE_POOLS.close()
    feeds = [feed_server.add(f"/f{i}.xml", _rss(i)) for i in range(POOL_THRESHOLD + 4)]
    rt = load_runtime(write_config(tmp_path, feeds))
    try:
        first = poll_cycle(rt, force=True, deliver=False)
        assert first.hits == len(feeds)
        workers = _workers()
        assert workers, "the pool's workers (and the matcher each built) ended with the cycle"
        poll_cycle(rt, force=True, deliver=False)
        assert _workers() == workers  # no new worker, so no new matcher build

        reloaded = assemble(rt.config, [*rt.watchlists, Watchlist(
            "Extra", "", (Entity(name="Acme Widgets"),), "extra.toml")], rt.db)
        assert poll_cycle(reloaded, force=True, deliver=False).feeds_polled == len(feeds)
        fresh = _workers()
        assert fresh and fresh.isdisjoint(workers)  # a new version: new workers, old ones gone

        same = assemble(rt.config, list(reloaded.watchlists), rt.db)  # equal content
        poll_cycle(same, force=True, deliver=False)
        assert _workers() == fresh
    finally:
        parsework.PARSE_POOLS.close()
        rt.close()
    assert _workers() == set()


def test_a_worker_killed_between_cycles_costs_no_feed(tmp_path, feed_server):
    """A kept pool whose worker died while idle (OOM killer, kill) is replaced, not used."""
    parsework.PARSE_POOLS.close()
    feeds = [feed_server.add(f"/f{i}.xml", _rss(i)) for i in range(POOL_THRESHOLD + 4)]
    rt = load_runtime(write_config(tmp_path, feeds))
    try:
        poll_cycle(rt, force=True, deliver=False)
        workers = _workers()
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while victim in _workers() and time.monotonic() < deadline:  # until the server reaps it
            time.sleep(0.05)
        again = poll_cycle(rt, force=True, deliver=False)
        assert again.feeds_failed == 0 and again.feeds_polled == len(feeds)
        assert _workers().isdisjoint(workers)
    finally:
        parsework.PARSE_POOLS.close()
        rt.close()
