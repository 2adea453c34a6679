"""Matcher builds and process-tree memory of the parse pool over several cycles, 100k aliases.

A loopback feed server serves F feeds; a watchlist of K entities × 3 names (bench/match_bench.py's
names) is written to a temporary folder; `poll_cycle` runs C times in this process, every feed
forced due. Where each fork server builds the matcher its workers share (one per watchlist
version), new fork servers are the matcher builds; before, each new worker built one. Reported
per cycle: seconds, workers and fork servers started, peak and after-cycle RSS and PSS (shared
pages counted once) of the process tree.
Usage: python bench/parse_pool_bench.py [--entities 34000] [--feeds 24] [--cycles 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from match_bench import make_names  # noqa: E402
from proctree import tree_pss, tree_usage  # noqa: E402

from monitor.pipeline.cycle import poll_cycle  # noqa: E402
from monitor.service.runtime import load_runtime  # noqa: E402
from tests.support.servers import FeedServer  # noqa: E402


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            out += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return out


def _workers() -> set[int]:
    """Grandchildren of this process: the workers its fork server started."""
    return {w for c in _children(os.getpid()) for w in _children(c)}


def _fork_servers() -> set[int]:
    """Children of this process that run a fork server (one per watchlist version)."""
    found = set()
    for pid in _children(os.getpid()):
        try:
            if b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            continue
    return found


class _Sampler:
    """Peak tree RSS and workers not seen before, sampled every 0.1 s during a cycle."""

    def __init__(self, seen: set[int]) -> None:
        self.seen, self.new, self.peak, self.peak_pss = seen, set(), 0, 0
        self.servers: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.1):
            self.peak = max(self.peak, tree_usage([os.getpid()])[0])
            self.peak_pss = max(self.peak_pss, tree_pss([os.getpid()]))
            self.new.update(_workers() - self.seen)
            self.servers.update(_fork_servers() - self.seen)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _rss(i: int) -> bytes:
    items = "".join(f"<item><title>Story {i}-{j} about the county budget</title>"
                    f"<link>https://n{i}.example/{j}</link></item>" for j in range(10))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{i}</title>{items}'
            "</channel></rss>").encode()


def _setup(folder: Path, entities: int, feeds: list[str]) -> Path:
    lists = folder / "watchlists"
    lists.mkdir()
    lines = ['name = "Big"']
    unique = {names[0]: names for names in make_names(entities)}  # entity names must differ
    for names in unique.values():
        lines += ["[[entities]]", f'name = "{names[0]}"',
                  "aliases = [" + ", ".join(f'"{n}"' for n in names[1:]) + "]"]
    (lists / "big.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = [f'[storage]\nurl = "sqlite:///{folder / "m.db"}"', f'[watchlists]\ndir = "{lists}"']
    config += [f'[[feeds]]\nurl = "{u}"\ninterval = "1h"' for u in feeds]
    (folder / "config.toml").write_text("\n".join(config) + "\n", encoding="utf-8")
    return folder / "config.toml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=34000)
    ap.add_argument("--feeds", type=int, default=24)
    ap.add_argument("--cycles", type=int, default=3)
    args = ap.parse_args()
    server = FeedServer().start()
    feeds = [server.add(f"/f{i}.xml", _rss(i)) for i in range(args.feeds)]
    with tempfile.TemporaryDirectory() as tmp:
        config = _setup(Path(tmp), args.entities, feeds)
        started = time.monotonic()
        rt = load_runtime(config)
        aliases = len(rt.matcher.aliases)
        print(json.dumps({"aliases": aliases, "load_s": round(time.monotonic() - started, 1),
                          "rss_mb": tree_usage([os.getpid()])[0] >> 20}), flush=True)
        seen: set[int] = set()
        for cycle in range(1, args.cycles + 1):
            sampler = _Sampler(seen)
            started = time.monotonic()
            stats = poll_cycle(rt, force=True)
            seconds = time.monotonic() - started
            sampler.stop()
            seen |= sampler.new | sampler.servers
            print(json.dumps({"cycle": cycle, "feeds": stats.feeds_polled,
                              "seconds": round(seconds, 1), "workers_started": len(sampler.new),
                              "fork_servers_started": len(sampler.servers),
                              "peak_tree_rss_mb": sampler.peak >> 20,
                              "peak_tree_pss_mb": sampler.peak_pss >> 20,
                              "after_rss_mb": tree_usage([os.getpid()])[0] >> 20,
                              "after_pss_mb": tree_pss([os.getpid()]) >> 20}), flush=True)
        rt.close()
    server.stop()


if __name__ == "__main__":
    main()
