"""Where a cold cycle's CPU goes, stage by stage, per 50-entry feed (poll_bench's feeds).

Worker stages (parse, near-duplicate text and band keys, canonical link, matching) are timed
one after the other in this process; the store stage (dedup + INSERTs into SQLite, 50 feeds a
transaction) in the same run, after a warm-up: with the driver-level bulk INSERTs
(storage/bulk.py) and, as baseline (twice), with SQLAlchemy Core's executemany they
replaced. Also the import time of what `poll-once` loads before its first request. CPU
time (process_time), so a loaded machine slows the figures less than wall time would.
Usage: python bench/stage_bench.py [--feeds 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from poll_bench import make_feed  # noqa: E402 - bench/ is on the path as a script

from monitor.config.watchlists import load_watchlists  # noqa: E402
from monitor.dedup.canonical import canonical_url  # noqa: E402
from monitor.dedup.neardup import NearDupIndex, band_keys, normalise  # noqa: E402
from monitor.matching import Matcher  # noqa: E402
from monitor.pipeline.prepare import prepare  # noqa: E402
from monitor.pipeline.store import store_feeds  # noqa: E402
from monitor.sources.feed.parser import parse_feed  # noqa: E402

_IMPORTS = ("import time; t = time.process_time(); import monitor.cli, monitor.pipeline.cycle, "
            "monitor.service.runtime, monitor.pipeline.deliver; "
            "print(time.process_time() - t)")


def per_feed(label: str, feeds: int, work: Callable[[], Any]) -> Any:
    start = time.process_time()
    result = work()
    print(f"  {label:<34} {(time.process_time() - start) * 1000 / feeds:6.2f} ms/feed")
    return result


def store_cpu(prepared: list, bulk: bool) -> float:
    """CPU seconds to store ``prepared`` (one list per feed) into a fresh SQLite database."""
    import storage.stories as stories
    from storage import Feed, connect

    if not bulk:
        stories.bulk_insert = lambda *_args: False  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"sqlite:///{tmp}/bench.db")
        with db.session() as s:
            rows = [Feed(url=f"https://outlet{n}.example/rss", name="x")
                    for n in range(len(prepared))]
            s.add_all(rows)
            s.flush()
            ids = [f.id for f in rows]
        index = NearDupIndex()
        start = time.process_time()
        for first in range(0, len(prepared), 50):
            with db.session() as s:
                batch = [(s.get(Feed, ids[i]), prepared[i])
                         for i in range(first, min(first + 50, len(prepared)))]
                store_feeds(s, batch, [], index)
        spent = time.process_time() - start
        db.dispose()
    if not bulk:
        del stories.bulk_insert
        import importlib
        importlib.reload(stories)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=200)
    args = ap.parse_args()
    n = args.feeds
    matcher = Matcher(load_watchlists(ROOT / "watchlists"))
    bodies = [make_feed(i, 50) for i in range(n)]
    print(f"{n} feeds x 50 entries, CPU per feed")
    print("worker stages")
    parsed = per_feed("parse (lxml fast path)", n, lambda: [
        parse_feed(b, f"https://outlet{i}.example/rss", {}) for i, b in enumerate(bodies)])
    entries = [e for p in parsed for e in p.entries]
    texts = per_feed("near-duplicate text (normalise)", n, lambda: [
        normalise(e.title, e.summary) for e in entries])
    per_feed("band keys (MinHash), cold word cache", n, lambda: [band_keys(t) for t in texts])
    per_feed("band keys (MinHash), warm word cache", n, lambda: [band_keys(t) for t in texts])
    per_feed("canonical link", n, lambda: [canonical_url(e.link) for e in entries])
    per_feed("matching", n, lambda: [matcher.match(e.title, e.summary, e.content)
                                     for e in entries])
    prepared = [prepare(p.entries, matcher) for p in parsed]
    print("main process")
    store_cpu(prepared[:10], bulk=False)  # warm-up: SQLAlchemy compiles and caches statements
    core = (store_cpu(prepared, bulk=False) + store_cpu(prepared, bulk=False)) / 2
    bulk = store_cpu(prepared, bulk=True)
    print(f"  {'store, SQLAlchemy Core (baseline)':<34} {core * 1000 / n:6.2f} ms/feed "
          "(mean of two runs)")
    print(f"  {'store, driver bulk INSERTs':<34} {bulk * 1000 / n:6.2f} ms/feed "
          f"({bulk / core:.2f} x)")
    out = subprocess.run([sys.executable, "-c", _IMPORTS], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    print(f"  {'imports before the first request':<34} {float(out) * 1000:6.0f} ms CPU")


if __name__ == "__main__":
    main()
