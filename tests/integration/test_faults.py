"""Faults on the running service: SQLite's write lock held, the database file unwritable."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage import connect
from tests.support.daemon import DaemonProcess, daemon_config, rss, wait_for
from tests.support.delivery_helpers import config as delivery_config
from tests.support.delivery_helpers import rss as delivery_rss
from tests.support.helpers import WATCHLISTS, run_cli
from tests.support.servers import free_port


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """``chattr +i``: not even root may open the files for writing, until the block ends."""
    subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def _chattr_works(directory: Path) -> bool:
    probe = directory / "probe"
    probe.touch()
    try:
        with immutable(probe):
            return True
    except (OSError, subprocess.CalledProcessError):
        return False


@pytest.fixture
def daemon(tmp_path) -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for d in started:
        d.kill()


def _started(tmp_path: Path, feed_server, daemon: list[DaemonProcess]
             ) -> tuple[DaemonProcess, Path]:
    """A daemon on SQLite with HTTP, polling one ICE story every second; and its file."""
    feed = feed_server.add("/n.xml", rss([("a", "ICE agents detain dozens", 0)]))
    path = tmp_path / "m.db"
    port = free_port()
    config = daemon_config(tmp_path, [(feed, "1s")], port, f"sqlite:///{path}", WATCHLISTS)
    # every second, however quiet the feed: adaptive polling would space a feed that brings
    # nothing new further and further apart, and these tests time the polls themselves
    config.write_text(config.read_text().replace('backlog = "off"',
                                                 'backlog = "off"\nmax_interval = "1s"'))
    d = DaemonProcess(config, port)
    daemon.append(d)
    d.start()
    wait_for(lambda: d.get("/api/hits").json()["count"] == 1, what="the first hit")
    return d, path


def _write(db, n: int) -> None:
    with db.session() as s:
        s.execute(text("INSERT INTO probe VALUES (:n)"), {"n": n})


def test_sqlite_writes_again_once_the_file_is_writable(tmp_path):
    if not _chattr_works(tmp_path):
        pytest.skip("chattr +i is not supported here (needs root on ext4/xfs)")
    path = tmp_path / "m.db"
    db = connect(f"sqlite:///{path}", create=False)
    with db.session() as s:
        s.execute(text("CREATE TABLE probe (n INTEGER)"))
    _write(db, 0)
    with immutable(path):
        held = db.engine.raw_connection()   # the pooled one is busy: the next one opens now
        try:
            with pytest.raises(OperationalError, match="readonly"):
                _write(db, 1)
        finally:
            held.close()
    for n in range(2, 8):           # every pooled connection gets its turn
        _write(db, n)
    with db.session() as s:
        assert s.scalar(text("SELECT count(*) FROM probe")) == 7
    db.dispose()


def _latencies(d: DaemonProcess, path: str, n: int) -> list[float]:
    """Seconds per request, sorted, over one kept-alive connection (as a monitor polls)."""
    times = []
    with httpx.Client(base_url=d.base, timeout=10) as client:
        for _ in range(n):
            started = time.monotonic()
            assert client.get(path).status_code == 200
            times.append(time.monotonic() - started)
    return sorted(times)


def test_reads_answer_while_a_writer_holds_the_sqlite_lock(tmp_path, feed_server, daemon):
    d, path = _started(tmp_path, feed_server, daemon)

    writer = sqlite3.connect(path, isolation_level=None, timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE feeds SET name = 'held by another writer'")
    try:
        health = _latencies(d, "/healthz", 100)
        hits = _latencies(d, "/api/hits", 20)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert health[98] < 0.1, f"/healthz p99 {health[98] * 1000:.0f} ms behind a writer"
    assert hits[-1] < 1.0, f"/api/hits took {hits[-1]:.2f}s behind a writer"


def test_polling_stays_on_time_under_read_load(tmp_path, feed_server, daemon):
    d, _ = _started(tmp_path, feed_server, daemon)
    done = threading.Event()

    def hammer() -> None:
        while not done.is_set():
            d.get("/api/hits")
            d.get("/healthz")

    readers = [threading.Thread(target=hammer) for _ in range(4)]
    for r in readers:
        r.start()
    start = time.time()

    def polls_since_start() -> list[float]:
        return [t for t, p in feed_server.times if p == "/n.xml" and t >= start]

    try:
        wait_for(lambda: len(polls_since_start()) >= 4, timeout=12,
                 what="four polls under read load")
    finally:
        done.set()
        for r in readers:
            r.join()
    polls = polls_since_start()
    gaps = [b - a for a, b in zip([start, *polls], polls, strict=False)]
    assert max(gaps) < 3.5, f"polls under load: gaps {gaps}"


def test_healthz_fails_within_a_cycle_and_recovers_when_sqlite_is_unwritable(
        tmp_path, feed_server, daemon):
    if not _chattr_works(tmp_path):
        pytest.skip("chattr +i is not supported here (needs root on ext4/xfs)")
    d, path = _started(tmp_path, feed_server, daemon)

    with immutable(path, Path(f"{path}-wal")):
        failed = time.monotonic()
        wait_for(lambda: d.get("/healthz").status_code == 503, timeout=10,
                 what="/healthz to report the failing storage")
        took = time.monotonic() - failed
        reason = d.get("/healthz").json()["reason"]
        assert "cycle" in reason or "storage" in reason, reason
        assert took < 5, f"/healthz said ok for {took:.1f}s while cycles failed"
        # cycles keep failing while new connections open read-only
        wait_for(lambda: d.log().count("poll cycle failed") >= 2, timeout=15,
                 what="a second failed cycle")

    feed_server.add("/n.xml", rss([("a", "ICE agents detain dozens", 0),
                                   ("b", "ICE opens a detention center", 0)]))
    wait_for(lambda: d.get("/healthz").status_code == 200, timeout=15,
             what="/healthz to recover")
    wait_for(lambda: d.get("/api/hits").json()["count"] == 2, timeout=15,
             what="a story stored after the fault")
    assert d.stop()[0] == 0


def test_healthz_names_the_failing_job_and_error_type_but_not_its_text(
        tmp_path, feed_server, daemon):
    d, path = _started(tmp_path, feed_server, daemon)
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("ALTER TABLE deliveries RENAME TO deliveries_away")
    try:
        wait_for(lambda: d.get("/healthz").status_code == 503, what="/healthz to fail")
        reason = d.get("/healthz").json()["reason"]
        assert re.fullmatch(r"the last (polling cycle|delivery pass) failed: OperationalError",
                            reason), reason
        assert "no such table: deliveries" in d.log()
    finally:
        db.execute("ALTER TABLE deliveries_away RENAME TO deliveries")
        db.close()
    wait_for(lambda: d.get("/healthz").status_code == 200, what="/healthz to recover")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children of all its threads), from /proc."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    children = {int(c) for c in f.read().split()}
            except OSError:
                continue
            stack += children - found
            found |= children
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_9_of_the_daemon_takes_its_parse_workers_with_it(tmp_path, feed_server, daemon):
    feeds = [(feed_server.add(f"/f{n}.xml", rss([(f"s{n}", f"Story {n} about ICE", 0)])), "1h")
             for n in range(20)]
    feeds.append((feed_server.add("/slow.xml", rss([("x", "Weather", 0)]), delay=30), "1h"))
    config = daemon_config(tmp_path, feeds, None, f"sqlite:///{tmp_path / 'm.db'}", WATCHLISTS)
    config.write_text(config.read_text().replace('timeout = "10s"', 'timeout = "60s"'))
    d = DaemonProcess(config, None)
    daemon.append(d)
    d.start(wait_healthy=False)
    wait_for(lambda: feed_server.hits("/slow.xml") and len(_descendants(d.proc.pid)) >= 3,
             timeout=30, what="the parse pool (fork server, workers, resource tracker)")
    children = _descendants(d.proc.pid)
    d.proc.kill()
    d.proc.wait(10)
    wait_for(lambda: not any(_alive(p) for p in children), timeout=5,
             what=f"the daemon's children {sorted(children)} to exit after kill -9")


def test_cli_reads_answer_while_a_writer_holds_the_sqlite_lock(tmp_path, feed_server, webhook):
    feed = feed_server.add("/d.xml", delivery_rss(2, "d"))
    path = tmp_path / "m.db"
    cfg = delivery_config(tmp_path, [feed], [{"name": "desk", "notify": [webhook.url],
                                              "mode": "digest", "schedule": "0 8 * * 1-5"}],
                          f"sqlite:///{path}")
    assert run_cli("poll-once", "--config", str(cfg)).returncode == 0

    writer = sqlite3.connect(path, isolation_level=None, timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE feeds SET name = 'held by another writer'")
    try:
        for command in ("hits", "deliveries"):
            started = time.monotonic()
            out = run_cli(command, "--format", "json", "--config", str(cfg), timeout=60)
            took = time.monotonic() - started
            assert out.returncode == 0, out.stderr
            assert len(json.loads(out.stdout)) >= 2, out.stdout
            assert took < 10, f"monitor {command} took {took:.1f}s behind a writer"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
