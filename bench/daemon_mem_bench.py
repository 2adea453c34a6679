"""Memory of the daemon's process tree: peak during its first (cold) cycle, then steady.

`monitor run` polls N loopback feeds × 50 entries (bench/poll_bench.py's server and feeds, a
1-minute interval, so later cycles re-poll and get 304s); the resident memory of the whole
process tree (daemon, fork server, parse workers, resource tracker) is sampled every 0.1 s.
Reported: the tree's peak during the first cycle; its median over the ``--settle`` seconds
after it (the daemon keeps its idle fork server a minute in case work comes) and its median
and peak over the following window, steady (the issue's targets: <= 250 MB and <= 150 MB with
1,000 feeds), each process's share,
and as baseline, in the same run, a bare interpreter that imported the same libraries. Memory
is given twice: RSS summed over the processes (a page the fork server shares with its workers
counts in each), and PSS (proportional set size: a shared page counted once in the sum).
Usage: python bench/daemon_mem_bench.py [--feeds 1000] [--settle 75] [--window 60]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from poll_bench import _serve, free_port, write_config  # noqa: E402 - bench/ is on the path as a script
from proctree import tree_pss  # noqa: E402

_BARE = ("import aiohttp, sqlalchemy, feedparser, lxml.etree, rapidfuzz, ahocorasick, "
         "jinja2; import sys; sys.stdout.write('ok\\n'); sys.stdout.flush(); sys.stdin.read()")


def processes(root: int) -> dict[int, tuple[str, int]]:
    """(command line, RSS bytes) of ``root`` and its descendants."""
    found, stack, page = {}, [root], os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                rss = int(f.read().split()[1]) * page
            with open(f"/proc/{pid}/cmdline") as f:
                cmd = f.read().replace("\0", " ")
            found[pid] = (cmd, rss)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return found


def role(cmd: str) -> str:
    if "forkserver" in cmd:
        return "fork server / parse worker"
    if "resource_tracker" in cmd:
        return "resource tracker"
    return "daemon"


def polled(db: Path) -> int:
    """Feeds polled so far (0 while the database is being created)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL"
                                ).fetchone()[0]
    except sqlite3.Error:
        return 0


def bare_baseline() -> int:
    """RSS of an interpreter that imported the daemon's main libraries, nothing else."""
    p = subprocess.Popen([sys.executable, "-c", _BARE], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline().strip() == b"ok"
    rss = sum(r for _, r in processes(p.pid).values())
    p.communicate(b"")
    return rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--settle", type=float, default=75.0)
    ap.add_argument("--window", type=float, default=60.0)
    args = ap.parse_args()
    port = free_port()
    ready = mp.get_context("spawn").Event()
    server = mp.get_context("spawn").Process(target=_serve, args=(port, args.feeds, 50, ready))
    server.start()
    ready.wait(60)
    print(f"{args.feeds} feeds x 50 entries on {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    mb = 2 ** 20
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), f"http://127.0.0.1:{port}", args.feeds, "1m")
            daemon = subprocess.Popen([sys.executable, "-m", "monitor", "--log-level", "WARNING",
                                       "--config", str(config), "run"], cwd=ROOT)
            try:
                peak, peak_pss, at_peak, started = 0, 0, {}, time.monotonic()
                while polled(Path(tmp) / "bench.db") < args.feeds:
                    if daemon.poll() is not None:
                        raise SystemExit("the daemon exited")
                    snap = processes(daemon.pid)
                    total = sum(r for _, r in snap.values())
                    if total > peak:
                        peak, at_peak = total, snap
                    peak_pss = max(peak_pss, tree_pss([daemon.pid]))
                    time.sleep(0.1)
                first = time.monotonic() - started
                settling: list[int] = []
                settled = time.monotonic() + args.settle
                while time.monotonic() < settled:
                    settling.append(sum(r for _, r in processes(daemon.pid).values()))
                    time.sleep(0.1)
                samples: list[int] = []
                snaps: list[dict[int, tuple[str, int]]] = []
                pss: list[int] = []
                end = time.monotonic() + args.window
                while time.monotonic() < end:
                    snap = processes(daemon.pid)
                    samples.append(sum(r for _, r in snap.values()))
                    snaps.append(snap)
                    pss.append(tree_pss([daemon.pid]))
                    time.sleep(0.1)
            finally:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(60)
    finally:
        server.terminate()
        server.join()
    bare = bare_baseline()
    print(f"first cycle ({first:.1f} s): tree peak {peak / mb:.0f} MB RSS summed, "
          f"{peak_pss / mb:.0f} MB PSS (target <= 250)")
    for cmd, rss in sorted(at_peak.values(), key=lambda v: -v[1]):
        print(f"    {rss / mb:6.0f} MB  {role(cmd)}")
    print(f"next {args.settle:.0f} s (idle fork server kept): tree median "
          f"{statistics.median(settling) / mb:.0f} MB RSS summed")
    print(f"steady, next {args.window:.0f} s: tree median {statistics.median(samples) / mb:.0f} "
          f"MB RSS summed ({statistics.median(pss) / mb:.0f} MB PSS), peak "
          f"{max(samples) / mb:.0f} MB ({max(pss) / mb:.0f} MB PSS) (target <= 150)")
    median = sorted(range(len(samples)), key=samples.__getitem__)[len(samples) // 2]
    for cmd, rss in sorted(snaps[median].values(), key=lambda v: -v[1]):
        print(f"    {rss / mb:6.0f} MB  {role(cmd)}")
    print(f"baseline: a bare interpreter with the same libraries imported {bare / mb:.0f} MB")
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
