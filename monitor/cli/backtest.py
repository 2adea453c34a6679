"""``monitor backtest``: what a watchlist change (or a query) would have done to stored stories."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from monitor.cli.common import EXIT_INVALID, Commands, find_subscriber, runtime, write_records


def register(commands: Commands) -> None:
    """Add ``backtest [--since 30d] [--watchlists DIR] [--query Q] [--subscriber S]
    [--format table|json] [--apply]``."""
    p = commands.add("backtest", "re-match stored stories with the watchlists on disk",
                     cmd_backtest)
    p.add_argument("--since", default="30d", type=_duration,
                   help="stories first seen within this long (e.g. 30d, 12h); default 30d")
    p.add_argument("--watchlists", help="a folder of watchlists (a draft) instead of the "
                   "config's [watchlists] dir")
    p.add_argument("--query", help="the stories this query would have been alerted to")
    p.add_argument("--subscriber", help="the stories this subscriber would have been alerted to")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--apply", action="store_true",
                   help="store the gained hits (old stories are not alerted)")


def _duration(value: str) -> timedelta:
    from monitor.config.durations import parse_duration

    try:
        return timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_backtest(args: argparse.Namespace) -> int:
    """Re-match, report gained/lost hits per entity and the alerts; exit 2 on bad input."""
    from monitor.config.problems import InvalidFiles
    from monitor.config.watchlists import load_watchlists
    from monitor.matching import Matcher
    from monitor.query import Query, QueryError
    from monitor.query.backtest import Audience, backtest
    from monitor.query.stored import watched_query
    from storage.models import utcnow

    with runtime(args, warn=False) as rt:
        try:
            watchlists = (load_watchlists(Path(args.watchlists)) if args.watchlists
                          else rt.watchlists)
        except InvalidFiles as exc:
            print(exc, file=sys.stderr)
            return EXIT_INVALID
        recipient = None
        if args.subscriber:
            recipient = find_subscriber(rt, args.subscriber)
            if recipient is None:
                return EXIT_INVALID
        text = args.query or (recipient.query.text if recipient and recipient.query else None)
        try:
            query: Query | None = text and watched_query(text, watchlists) or None
        except QueryError as exc:
            print(f"--query: {exc}", file=sys.stderr)
            return EXIT_INVALID
        audience = Audience(recipient, query) if recipient or query else None
        started = time.perf_counter()
        result = backtest(rt.db, Matcher(watchlists), utcnow() - args.since, audience,
                          args.apply)
        took = time.perf_counter() - started
    if args.format == "json":
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return 0
    print(f"{result.stories} stories re-matched in {took:.1f} s: {len(result.gained)} hits "
          f"gained, {len(result.lost)} lost" + (f", {result.applied} stored" if args.apply
                                                 else ""))
    rows = result.by_entity()
    for row in rows:
        row["examples"] = " | ".join(row["examples"])
    if rows:
        write_records(rows, ["watchlist", "entity", "gained", "lost", "examples"], "table",
                      widths={"examples": 90})
    if audience is not None:
        who = f"subscriber {recipient.name!r}" if recipient else "the query"
        print(f"\n{len(result.alerts)} stories {who} would have been alerted to")
        if result.alerts:
            write_records([a.__dict__ for a in result.alerts], ["story_id", "title"], "table",
                          widths={"title": 90})
    return 0
