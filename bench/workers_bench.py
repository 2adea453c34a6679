"""Polls per second with 1, 2 and 3 `monitor run` workers sharing one PostgreSQL.

A loopback aiohttp server (its own process) serves N feeds of 10 stories each. Per worker
count: a fresh database, `monitor db upgrade`, then the workers poll every feed on a 1 s
interval (always more due work than they can do). Reported: the first pass (every feed
fetched and its 10 stories stored) and the steady state (re-polls of unchanged feeds),
with PostgreSQL's commits, row writes, WAL bytes and CPU per poll. 1 worker is the baseline.
Usage: python bench/workers_bench.py [--feeds 2000] [--workers 1,2,3] [--window 60]
       [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proctree import tree_usage  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

WARMUP = 5.0  # seconds for restarted workers to get going before the window opens
DEFAULT_URL = os.environ.get("MONITOR_TEST_DATABASE_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORDS = ("detention", "contract", "county", "sheriff", "budget", "hearing", "vendor", "logistics",
         "warehouse", "council", "immigration", "court", "ruling", "appeal", "shelter",
         "families", "agency", "report")


def _feed_body(i: int) -> bytes:
    items = []
    for j in range(10):
        words = " ".join(WORDS[(i * 7 + j * 3 + k) % len(WORDS)] for k in range(8))
        link = f"https://news{i % 97}.example/{i}/{j}"
        title = f"ICE story {i}-{j}" if j == 0 else f"Story {i}-{j}: {words}"
        items.append(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                     f"<description>{words} {words}</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
            f"<link>https://news.example/{i}</link>{''.join(items)}</channel></rss>").encode()


def serve(port: int, feeds: int) -> None:
    """The loopback feed server: /f/{i}.xml, plus /count (requests so far)."""
    from aiohttp import web

    bodies = [_feed_body(i) for i in range(feeds)]
    count = 0

    async def feed(request: web.Request) -> web.Response:
        nonlocal count
        count += 1
        return web.Response(body=bodies[int(request.match_info["i"])],
                            content_type="application/rss+xml")

    async def counter(_request: web.Request) -> web.Response:
        return web.Response(text=str(count))

    app = web.Application()
    app.add_routes([web.get("/f/{i}.xml", feed), web.get("/count", counter)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _count(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=5) as r:
        return int(r.read())


def _config(folder: Path, url: str, port: int, feeds: int) -> Path:
    lines = ["[storage]", f'url = "{url}"', "[watchlists]", f'dir = "{ROOT / "watchlists"}"',
             "[polling]", "concurrency = 100", "per_host = 100", 'timeout = "20s"',
             'lease = "2m"']
    for i in range(feeds):
        lines += ["[[feeds]]", f'url = "http://127.0.0.1:{port}/f/{i}.xml"', 'interval = "1s"']
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _pg_stats(engine, name: str) -> dict[str, float]:
    with engine.connect() as c:
        row = c.execute(text(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') FROM pg_stat_database "
            "WHERE datname = :n"), {"n": name}).one()
    return dict(zip(("commits", "inserted", "updated", "deleted", "wal_bytes"),
                    map(float, row), strict=True))


def _polled(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL")
                         ).scalar()


def _start(cmd: list[str], workers: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([*cmd, "run"], cwd=ROOT, stdout=subprocess.DEVNULL)
            for _ in range(workers)]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(120)


def _backends(engine, name: str) -> list[int]:
    with engine.connect() as c:
        return list(c.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :n"),
                              {"n": name}).scalars())


def _wait(cond, timeout: float) -> float:
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise TimeoutError("the workers stalled")
        time.sleep(0.2)
    return time.monotonic() - start


def run(workers: int, feeds: int, window: float, base_url: str, port: int) -> dict:
    """One measurement with ``workers`` processes on a fresh database."""
    name = f"bench_workers_{os.getpid()}_{workers}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    procs: list[subprocess.Popen] = []
    cmd = [sys.executable, "-m", "monitor", "--log-level", "WARNING"]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = _config(Path(tmp), url, port, feeds)
            cmd += ["--config", str(config)]
            subprocess.run([*cmd, "db", "upgrade"], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            db = create_engine(url)
            start_count = _count(port)
            procs = _start(cmd, workers)
            _wait(lambda: _count(port) > start_count, 60)
            first_pass = _wait(lambda: _polled(db) >= feeds, 600)
            _stop(procs)  # exiting backends flush their statistics
            db.dispose()
            c0, s0 = _count(port), _pg_stats(admin, name)
            procs = _start(cmd, workers)
            time.sleep(WARMUP)
            backends, workers_pids = _backends(admin, name), [p.pid for p in procs]
            ca, ta = _count(port), time.monotonic()
            pg0, w0 = tree_usage(backends)[1], tree_usage(workers_pids)[1]
            time.sleep(window)
            cb, tb = _count(port), time.monotonic()
            pg1, w1 = tree_usage(backends)[1], tree_usage(workers_pids)[1]
            _stop(procs)
            c1, s1 = _count(port), _pg_stats(admin, name)
    finally:
        _stop(procs)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    per_poll = {k: round((s1[k] - s0[k]) / max(c1 - c0, 1), 2) for k in s0}
    return {"workers": workers, "first_pass_s": round(first_pass, 1),
            "first_pass_polls_per_s": round(feeds / first_pass, 1),
            "steady_polls_per_s": round((cb - ca) / (tb - ta), 1), "per_poll": per_poll,
            "steady_cpu_ms_per_poll": {"workers": round(1000 * (w1 - w0) / max(cb - ca, 1), 2),
                                       "postgres": round(1000 * (pg1 - pg0) / max(cb - ca, 1),
                                                         2)}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--feeds", type=int, default=2000)
    p.add_argument("--workers", default="1,2,3")
    p.add_argument("--window", type=float, default=60.0)
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.serve, args.feeds)
        return
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port),
                               "--feeds", str(args.feeds)])
    try:
        _wait(lambda: _try_count(port), 30)
        print(f"{args.feeds} loopback feeds, {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.2f} at start")
        results = []
        for n in (int(x) for x in args.workers.split(",")):
            results.append(run(n, args.feeds, args.window, args.url, port))
            r = results[-1]
            base = results[0]["steady_polls_per_s"]
            print(f"{n} worker(s): first pass {r['first_pass_s']:>6.1f} s "
                  f"({r['first_pass_polls_per_s']:>6.1f} polls/s), steady "
                  f"{r['steady_polls_per_s']:>6.1f} polls/s (x{r['steady_polls_per_s'] / base:.2f}"
                  f" vs 1 worker); per poll: {r['per_poll']}, CPU ms: "
                  f"{r['steady_cpu_ms_per_poll']}", flush=True)
        print(f"load average at end {os.getloadavg()[0]:.2f}")
        print(json.dumps(results))
    finally:
        server.terminate()
        server.wait(10)


def _try_count(port: int) -> bool:
    try:
        _count(port)
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
