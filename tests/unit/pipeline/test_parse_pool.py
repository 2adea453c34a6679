"""Parse workers build their matcher once per watchlist version, not once per cycle (issue 12)."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from monitor.config.watchlists import Entity, Watchlist
from monitor.pipeline import pool as parsework
from monitor.pipeline.cycle import POOL_THRESHOLD, poll_cycle
from monitor.service.runtime import assemble, load_runtime
from monitor.sources.base import Response
from monitor.sources.feed.kind import FEED
from tests.support.helpers import write_config

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
        first = poll_cycle(rt, force=True)
        assert first.hits == len(feeds)
        workers = _workers()
        assert workers, "the pool's workers (and the matcher each built) ended with the cycle"
        poll_cycle(rt, force=True)
        assert _workers() == workers  # no new worker, so no new matcher build

        reloaded = assemble(rt.config, [*rt.watchlists, Watchlist(
            "Extra", "", (Entity(name="Acme Widgets"),), "extra.toml")], rt.db)
        assert poll_cycle(reloaded, force=True).feeds_polled == len(feeds)
        fresh = _workers()
        assert fresh and fresh.isdisjoint(workers)  # a new version: new workers, old ones gone

        same = assemble(rt.config, list(reloaded.watchlists), rt.db)  # equal content
        poll_cycle(same, force=True)
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
        poll_cycle(rt, force=True)
        workers = _workers()
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while victim in _workers() and time.monotonic() < deadline:  # until the server reaps it
            time.sleep(0.05)
        again = poll_cycle(rt, force=True)
        assert again.feeds_failed == 0 and again.feeds_polled == len(feeds)
        assert _workers().isdisjoint(workers)
    finally:
        parsework.PARSE_POOLS.close()
        rt.close()


_SYLLABLES = ("ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze", "bra", "dri", "fle",
              "gro", "plu", "sta", "tre", "vik", "wen", "xo")


def _word(n: int) -> str:
    """A made-up word per number, four syllables: aliases nobody's text contains."""
    parts = []
    for _ in range(4):
        n, digit = divmod(n, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
    return "".join(parts).capitalize()


def _big_watchlist(entities: int) -> list[Watchlist]:
    """A generated watchlist of ``entities`` × 3 names, so the matcher is tens of MB."""
    return [Watchlist("Big", "", tuple(
        Entity(name=f"{_word(i)} {_word(i + 1)} Group",
               aliases=(f"{_word(i)} Holdings", f"{_word(i + 2)}{_word(i)} Labs"))
        for i in range(0, 3 * entities, 3)), "big.toml")]


def _on_every_worker(pool, size: int, fn, *args) -> list:
    """``fn(*args)`` once in each of ``size`` workers: each call waits for all to have begun."""
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(size)
        futures = [pool.submit(_after_barrier, barrier, fn, *args) for _ in range(size)]
        return [f.result(timeout=120) for f in futures]


def _after_barrier(barrier, fn, *args):
    barrier.wait(timeout=60)
    return fn(*args)


def _fork_servers() -> list[int]:
    """This process's children that run multiprocessing's fork server."""
    found = []
    for pid in _children(os.getpid()):
        with contextlib.suppress(OSError):
            if b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


def _memory(pid: int) -> dict[str, int]:
    """kB per field of /proc/PID/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split()[:2]
        fields[name.rstrip(":")] = int(value)
    return fields


@pytest.mark.parametrize("size", [2, 3])
def test_one_matcher_build_per_version_whatever_the_worker_count(size):
    parsework.PARSE_POOLS.close()
    small = _big_watchlist(50)
    try:
        pool = parsework.PARSE_POOLS.get(small, size)
        origins = _on_every_worker(pool, size, parsework.matcher_origin)
        builders = {built_by for built_by, _ in origins}
        workers = {pid for _, pid in origins}
        assert len(workers) == size and len(builders) == 1  # one build for all the workers
        (builder,) = builders
        assert builder not in workers and builder != os.getpid()
        assert all(builder in _children(os.getpid()) and w in _children(builder)
                   for w in workers)  # built in the fork server, before it forked them

        pool = parsework.PARSE_POOLS.get([*small, Watchlist(
            "Extra", "", (Entity(name="Acme Widgets"),), "extra.toml")], size)
        again = {b for b, _ in _on_every_worker(pool, size, parsework.matcher_origin)}
        assert len(again) == 1 and again != builders  # a new version: one new build
    finally:
        parsework.PARSE_POOLS.close()


def test_idle_workers_end_and_come_back_from_the_same_fork_server():
    parsework.PARSE_POOLS.close()
    small = _big_watchlist(50)
    try:
        pool = parsework.PARSE_POOLS.get(small, 2)
        first = _on_every_worker(pool, 2, parsework.matcher_origin)
        (builder,) = {b for b, _ in first}
        parsework.PARSE_POOLS.idle()
        assert _until(lambda: not _children(builder))  # the workers are gone (reaped)
        assert _until(lambda: not _gone(builder))  # their fork server is not
        pool = parsework.PARSE_POOLS.get(small, 2)
        again = _on_every_worker(pool, 2, parsework.matcher_origin)
        assert {b for b, _ in again} == {builder}  # no new matcher build
        assert not {w for _, w in again} & {w for _, w in first}  # new workers

        parsework.PARSE_POOLS.idle()
        other = [*small, Watchlist("Extra", "", (Entity(name="Acme Widgets"),), "extra.toml")]
        pool = parsework.PARSE_POOLS.get(other, 2)
        changed = {b for b, _ in _on_every_worker(pool, 2, parsework.matcher_origin)}
        assert len(changed) == 1 and changed != {builder}  # a new version: a new build
        assert _until(lambda: _gone(builder))  # the idle old version's server was ended
        pool = parsework.PARSE_POOLS.get(small, 2)
        (builder,) = {b for b, _ in _on_every_worker(pool, 2, parsework.matcher_origin)}

        parsework.PARSE_POOLS.idle()
        os.kill(builder, signal.SIGKILL)  # the fork server dies while idle
        assert _until(lambda: _gone(builder))
        pool = parsework.PARSE_POOLS.get(small, 2)
        rebuilt = {b for b, _ in _on_every_worker(pool, 2, parsework.matcher_origin)}
        assert len(rebuilt) == 1 and rebuilt != {builder}  # a new server built the matcher
    finally:
        parsework.PARSE_POOLS.close()


def test_an_idle_fork_server_left_unused_is_ended_if_quick_to_start_again(monkeypatch):
    parsework.PARSE_POOLS.close()
    small = _big_watchlist(50)
    try:
        pool = parsework.PARSE_POOLS.get(small, 2)
        (builder,) = {b for b, _ in _on_every_worker(pool, 2, parsework.matcher_origin)}
        assert not parsework.PARSE_POOLS.release_unused(0.0)  # its workers are busy
        parsework.PARSE_POOLS.idle()
        assert not parsework.PARSE_POOLS.release_unused(60.0)  # not unused for long yet
        monkeypatch.setattr(parsework.PARSE_POOLS, "keep_server_s", 0.0)  # as a slow build's
        assert not parsework.PARSE_POOLS.release_unused(0.0)
        monkeypatch.undo()
        assert parsework.PARSE_POOLS.release_unused(0.0)  # it took well under 2 s to start
        assert _until(lambda: _gone(builder))
        pool = parsework.PARSE_POOLS.get(small, 2)
        again = {b for b, _ in _on_every_worker(pool, 2, parsework.matcher_origin)}
        assert len(again) == 1 and again != {builder}  # the next cycle starts another
    finally:
        parsework.PARSE_POOLS.close()


def _gone(pid: int) -> bool:
    """``pid`` has exited (a zombie until multiprocessing reaps it, or no longer listed)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _until(condition, seconds: float = 10.0) -> bool:
    """Poll ``condition`` (process state has no event to wait on) until true or timeout."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _worker_memory(watchlists: list[Watchlist]) -> list[tuple[int, int]]:
    """(private kB, resident kB) of each of 2 workers after each parsed and matched stories."""
    parsework.PARSE_POOLS.close()
    try:
        pool = parsework.PARSE_POOLS.get(watchlists, 2)
        stories = b"".join(_rss(i) for i in range(20))
        page = Response("https://x.example/", 200, {}, stories)
        _on_every_worker(pool, 2, parsework.parse_in_worker, FEED, {}, (page,))
        workers = _workers()
        assert len(workers) == 2
        memory = [_memory(pid) for pid in workers]
        return [(m["Private_Clean"] + m["Private_Dirty"], m["Rss"]) for m in memory]
    finally:
        parsework.PARSE_POOLS.close()


def test_workers_share_the_matcher_memory():
    """A 30,000-alias matcher adds ~100 MB to each worker's resident memory, but almost none
    of it is the worker's own: it is the fork server's, shared, also after matching."""
    small = _worker_memory(_big_watchlist(50))
    big = _worker_memory(_big_watchlist(10_000))
    for (private_small, rss_small), (private_big, rss_big) in zip(small, big, strict=True):
        matcher = rss_big - rss_small
        assert matcher > 50_000, (small, big)  # the big matcher is there
        assert private_big - private_small < matcher / 5, (small, big)


def test_fork_server_stop_api_still_exists():
    """stop_fork_server relies on multiprocessing's private ForkServer._stop: fail loudly
    here if a Python release renames or changes it."""
    parsework.PARSE_POOLS.close()
    multiprocessing.forkserver.ensure_running()
    deadline = time.monotonic() + 10
    while not (servers := _fork_servers()) and time.monotonic() < deadline:  # until its exec
        time.sleep(0.05)
    assert len(servers) == 1
    parsework.stop_fork_server()
    assert not Path(f"/proc/{servers[0]}").exists()  # stopped and reaped


def _no_temporary_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))


def _unreadable_watchlists_file(monkeypatch, tmp_path: Path) -> None:
    """The fork server cannot build: its workers have no matcher and refuse to start."""
    monkeypatch.setattr(parsework.pickle, "dump", lambda obj, f, protocol: f.write(b"junk"))


@pytest.mark.parametrize("fault", [_no_temporary_folder, _unreadable_watchlists_file])
def test_pool_that_cannot_start_leaves_parsing_and_matching_to_the_daemon(
        tmp_path, feed_server, monkeypatch, caplog, fault):
    """The cycle still parses and matches every feed, in the daemon process."""
    parsework.PARSE_POOLS.close()
    fault(monkeypatch, tmp_path)
    feeds = [feed_server.add(f"/f{i}.xml", _rss(i)) for i in range(POOL_THRESHOLD + 4)]
    rt = load_runtime(write_config(tmp_path, feeds))
    try:
        stats = poll_cycle(rt, force=True)
        assert stats.hits == len(feeds) and stats.feeds_failed == 0
        assert _workers() == set() and _fork_servers() == []
        assert "the parse workers could not start" in caplog.text
    finally:
        parsework.PARSE_POOLS.close()
        rt.close()


def test_parse_workers_import_no_database_or_http_stack() -> None:
    """What the fork server preloads is in every worker's memory: it stays parsing and
    matching (a package __init__ pulling in SQLAlchemy cost ~67 MB across the tree)."""
    code = ("import sys, monitor.pipeline.matcherhost, monitor.sources; "
            "[__import__(m) for m in monitor.sources.kind_modules()]; "
            "print(sorted(m for m in ('sqlalchemy', 'aiohttp', 'apprise', 'storage.models', "
            "'apscheduler', 'monitor.config.sections') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[3])
    assert out.stdout.strip() == "[]"


def test_a_cycle_that_reads_no_page_and_sends_nothing_loads_no_extractor_or_sender(
        tmp_path, feed_server) -> None:
    """A cycle loads trafilatura, apprise and jinja2 only when it reads a page, sends or
    renders: most daemon cycles do none of these (~0.15 s and ~12 MB per process)."""
    items = "".join(f"<item><title>ICE detains {n} in raid</title><link>https://n.example/{n}"
                    "</link></item>" for n in range(3))
    feed = feed_server.add("/news.xml", f'<?xml version="1.0"?><rss version="2.0"><channel>'
                           f"<title>N</title>{items}</channel></rss>".encode())
    config = write_config(tmp_path, [feed], storage_url=f"sqlite:///{tmp_path / 'm.db'}")
    config.write_text(config.read_text() + 'full_text = false\n')  # the feed's, last lines
    args = ["--log-level", "WARNING", "poll-once", "--json", "--config", str(config)]
    code = (f"import sys; from monitor.cli import main; main({args!r}); "
            "print(sorted(m for m in ('trafilatura', 'apprise', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[3])
    summary, loaded = out.stdout.strip().splitlines()
    assert '"new_stories": 3' in summary and '"hits": 3' in summary
    assert loaded == "[]"
