"""How long ``monitor backtest`` takes on N stored stories (default 100,000), against the
matcher alone on the same texts in the same run (the part no backtest can avoid).

Stories are the shared dev set's titles and summaries (../shared/match-dev.jsonl) numbered so
each is distinct; the shipped watchlists match about half of them. Steps timed:
  baseline   Matcher.match over every story in memory (no database)
  apply      backtest --apply on a database with no hits yet (stores every hit)
  unchanged  backtest with the same watchlists (nothing gained or lost), in one process and
             in one per core (what ``monitor backtest`` uses)
  query      backtest with the campaign query as the audience

    python bench/backtest_bench.py [--stories 100000] [--db /tmp/backtest-bench.db]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config.watchlists import load_watchlists  # noqa: E402
from monitor.matching import Matcher  # noqa: E402
from monitor.query import Query  # noqa: E402
from monitor.query.backtest import MAX_WORKERS, Audience, backtest  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.stories import insert_stories  # noqa: E402

DEV = ROOT.parent / "shared" / "match-dev.jsonl"
CAMPAIGN = 'Amazon AND (ICE OR "Homeland Security" OR detention*) AND NOT "Prime Day"'


def texts(n: int) -> list[tuple[str, str]]:
    """``n`` (title, summary) pairs cycled from the dev set, each made distinct."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    return [(f"{r['title']} ({i})", r.get("summary") or "")
            for i, r in ((i, rows[i % len(rows)]) for i in range(n))]


def fill(url: str, stories: list[tuple[str, str]]) -> None:
    db = connect(url)
    now = datetime.now(UTC)
    with db.session() as s:
        for start in range(0, len(stories), 5000):
            insert_stories(s, [
                {"title": t, "summary": sm, "link": f"https://news.example/{start + i}",
                 "canonical_url": f"https://news.example/{start + i}",
                 "published_at": now - timedelta(minutes=start + i),
                 "first_seen_at": now - timedelta(minutes=(start + i) % 20_000), "feed_id": None}
                for i, (t, sm) in enumerate(stories[start:start + 5000])])
    db.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--stories", type=int, default=100_000)
    p.add_argument("--db", default=None)
    args = p.parse_args()
    watchlists = load_watchlists(ROOT / "watchlists")
    matcher = Matcher(watchlists)
    stories = texts(args.stories)
    path = Path(args.db or tempfile.mkdtemp(prefix="backtest-bench-")) / "bench.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    t0 = time.perf_counter()
    fill(url, stories)
    print(f"{args.stories} stories stored in {time.perf_counter() - t0:.1f} s ({path})")

    t0 = time.perf_counter()
    matched = sum(bool(matcher.match(t, s, "")) for t, s in stories)
    base = time.perf_counter() - t0
    print(f"baseline   matcher alone, in memory: {base:6.2f} s  "
          f"({matched} stories with a hit)")

    db = connect(url)
    since = datetime.now(UTC) - timedelta(days=30)
    names = {w.name for w in watchlists} | {e.name for w in watchlists for e in w.entities}
    cores = min(os.cpu_count() or 1, MAX_WORKERS)
    for label, kwargs in (("apply", {"apply": True}),
                          ("unchanged, 1 process", {"workers": 1}),
                          (f"unchanged, {cores} processes", {}),
                          ("query", {"audience": Audience(None, Query(CAMPAIGN, names))})):
        t0 = time.perf_counter()
        result = backtest(db, matcher, since, **kwargs)  # type: ignore[arg-type]
        took = time.perf_counter() - t0
        print(f"{label:24} backtest: {took:6.2f} s  ({result.stories} stories, "
              f"{len(result.gained)} gained, {len(result.lost)} lost, {len(result.alerts)} "
              f"alerts, {result.applied} stored; {took / base:.2f}x the baseline)")
    db.dispose()


if __name__ == "__main__":
    main()
