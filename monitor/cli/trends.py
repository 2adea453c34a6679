"""``monitor trends``: each entity's stories per day, its usual count and its spikes."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta

from monitor.cli.common import EXIT_INVALID, Commands, runtime, write_records

TABLE_COLUMNS = ["entity", "watchlist", "stories", "days", "spikes"]
DAY_COLUMNS = ["bucket", "count", "share", "baseline", "spike"]


def register(commands: Commands) -> None:
    """Add ``trends [--entity E] [--since 30d] [--format table|json]``."""
    trends = commands.add("trends", "stories per day per entity, and its spikes", cmd_trends)
    trends.add_argument("--entity", help="one entity (any watchlist); default: all with stories")
    trends.add_argument("--since", type=since_value, default="30d",
                        help='a duration ("30d", "12h") or an ISO date; default 30d')
    trends.add_argument("--format", choices=["table", "json"], default="table")


def since_value(value: str) -> datetime | timedelta:
    """``--since``: how far back (a duration), or from when (an ISO date or time, UTC)."""
    from monitor.config.durations import parse_duration
    from storage.hits import parse_since

    try:
        return timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        return parse_since(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected a duration such as "30d" or an ISO date, got {value!r}') from None


def cmd_trends(args: argparse.Namespace) -> int:
    """JSON Lines (one object per entity) or a table; an unknown ``--entity`` exits 2."""
    from monitor.trends.report import trend_records
    from storage.models import utcnow

    now = utcnow()
    start = now - args.since if isinstance(args.since, timedelta) else args.since
    with runtime(args, warn=False) as rt:
        settings = rt.config.trends
        with rt.db.read() as s:
            records = trend_records(s, start, now, settings.baseline, settings.min_count,
                                    entity=args.entity)
    if args.entity and not records:
        print(f"no stories about an entity named {args.entity!r}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "json":
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if args.entity:
        for record in records:
            print(f"{record['entity']} ({record['watchlist']})")
            write_records(record["series"], DAY_COLUMNS, "table")
            _print_spikes(record)
        return 0
    write_records([_summary(r) for r in records], TABLE_COLUMNS, "table",
                  widths={"days": 60, "spikes": 60})
    return 0


def _summary(record: dict) -> dict:
    from notifiers.content import sparkline

    counts = [p["count"] for p in record["series"]]
    spikes = ", ".join(f"{s['start'][:16].replace('T', ' ')} ({s['count']} vs {s['usual']:g})"
                       for s in record["spikes"])
    return {"entity": record["entity"], "watchlist": record["watchlist"],
            "stories": sum(counts), "days": sparkline(counts), "spikes": spikes or "–"}


def _print_spikes(record: dict) -> None:
    for spike in record["spikes"]:
        print(f"spike from {spike['start'][:16].replace('T', ' ')} UTC: {spike['count']} stories "
              f"against {spike['usual']:g} usual ({spike['series']}); outlets: "
              + (", ".join(o["name"] for o in spike["outlets"]) or "–"))
