"""How long spike detection adds to every cycle, on a large store: N stories over 30 days
(default 100,000), 50 entities, one of them bursting. Baseline in the same run: the page's
existing 30-day chart query (storage.reports.stories_per_day) over the same rows.

    python bench/trends_bench.py [--stories 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from monitor.config.sections import TrendsConfig
from monitor.trends.detect import detect_spikes
from monitor.trends.report import trend_records
from storage import connect
from storage.reports import stories_per_day

ENTITIES = 50


def seed(path: Path, stories: int, now: datetime) -> None:
    """Stories spread over 30 days; each entity in 0.2–3 % of them; entity 0 bursts today."""
    rng = random.Random(7)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO feeds (url, kind, params, name, interval_s, state, error_count, "
               "next_poll_at, entries_seen, created_at) VALUES ('https://x/rss', 'feed', '{}', "
               "'Bench News', 900, 'ok', 0, ?, 0, ?)", (now.isoformat(), now.isoformat()))
    rates = [rng.uniform(0.002, 0.03) for _ in range(ENTITIES)]
    story_rows, hit_rows, source_rows = [], [], []
    for sid in range(1, stories + 1):
        when = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
        entities = [e for e in range(ENTITIES) if rng.random() < rates[e]]
        if sid % 1000 == 0:     # the burst: entity 0 in the last two hours
            when, entities = now - timedelta(seconds=rng.uniform(0, 7200)), [0]
        stamp = when.isoformat(sep=" ")
        story_rows.append((sid, f"https://x/{sid}", f"https://x/{sid}", f"story {sid}", "",
                           stamp, stamp, 1))
        source_rows.append((sid, 1, f"k{sid}", f"https://x/{sid}", stamp))
        hit_rows += [(sid, f"W{e}", f"E{e}", "", "", "title", 100.0, "", "", stamp)
                     for e in entities]
    db.executemany("INSERT INTO stories (id, canonical_url, link, title, summary, published_at, "
                   "first_seen_at, feed_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", story_rows)
    db.executemany("INSERT INTO story_sources (story_id, feed_id, entry_key, link, seen_at) "
                   "VALUES (?, ?, ?, ?, ?)", source_rows)
    db.executemany("INSERT INTO hits (story_id, watchlist, entity, alias, matched, field, score, "
                   "rule, context, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", hit_rows)
    db.commit()
    db.close()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = connect(f"sqlite:///{path}")
        seed(path, args.stories, now)
        settings = TrendsConfig()
        rt = SimpleNamespace(db=db, config=SimpleNamespace(trends=settings, subscribers=()))

        def chart() -> None:
            with db.read() as s:
                stories_per_day(s, 30, now=now)

        def trends_cli() -> None:
            with db.read() as s:
                trend_records(s, now - timedelta(days=30), now, settings.baseline,
                              settings.min_count)

        baseline = best(chart, args.repeat)
        detect = best(lambda: detect_spikes(rt, now), args.repeat)  # type: ignore[arg-type]
        cli = best(trends_cli, args.repeat)
        with db.read() as s:
            found = [f"{r['entity']} {p['start'][5:16]} {p['series']} {p['count']} vs "
                     f"{p['usual']}" for r in trend_records(s, now - timedelta(days=2), now,
                                                           settings.baseline, settings.min_count)
                     for p in r["spikes"]]
        db.dispose()
    print(f"{args.stories} stories over 30 days, {ENTITIES} entities (SQLite)")
    print(f"baseline: 30-day chart query (stories_per_day)   {baseline * 1000:8.0f} ms")
    print(f"spike detection after a cycle (detect_spikes)   {detect * 1000:8.0f} ms  "
          f"({detect / baseline:.1f}x the chart)")
    print(f"monitor trends --since 30d, every entity         {cli * 1000:8.0f} ms")
    print(f"spikes in the last two days: {'; '.join(found) or 'none'}")


if __name__ == "__main__":
    main()
