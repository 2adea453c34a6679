"""``monitor hits``: the stored hits, newest first, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from monitor.cli.common import EXIT_INVALID, Commands, runtime, write_records

CSV_COLUMNS = ["created_at", "watchlist", "entity", "matched", "title", "source", "link", "id",
               "field", "score", "context", "published_at", "sources", "language", "story_id",
               "versions", "archive_url"]
TABLE_COLUMNS = ["created_at", "published", "watchlist", "entity", "matched", "title", "sources",
                 "language", "link", "story_id", "versions"]


def register(commands: Commands) -> None:
    """Add ``hits [--watchlist W] [--entity E] [--since DATE] [--kind K] [--limit N]
    [--format F] [--query Q]``."""
    hits = commands.add("hits", "list stored hits", cmd_hits)
    hits.add_argument("--watchlist")
    hits.add_argument("--entity")
    hits.add_argument("--since", type=parse_since, help="ISO date or time (UTC if no zone)")
    hits.add_argument("--kind", choices=["record", "story"],
                      help="only public records ([[records]]), or only other stories")
    hits.add_argument("--limit", type=int, default=100)
    hits.add_argument("--format", choices=["table", "json", "csv"], default="table")
    hits.add_argument("--query", help="only stories this boolean query holds for "
                      "(README \"Queries\")")


def parse_since(value: str) -> datetime:
    """``--since`` accepts a date or an ISO 8601 time; naive values are UTC."""
    from storage.hits import parse_since as parse

    try:
        return parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_hits(args: argparse.Namespace) -> int:
    """Print the hits; an unknown ``--watchlist`` exits 2 naming the known ones."""
    from monitor.query import QueryError
    from monitor.query.stored import hits_matching, watched_query
    from storage.hits import UnknownWatchlist, list_hits, resolve_watchlist, stored_watchlists

    with runtime(args, warn=False) as rt:
        try:
            query = args.query and watched_query(args.query, rt.watchlists)
            with rt.db.read() as s:
                watchlist = args.watchlist and resolve_watchlist(
                    args.watchlist, [w.name for w in rt.watchlists],
                    lambda: stored_watchlists(s))
                rows = list_hits(s, watchlist, args.entity, args.since,
                                 None if query else args.limit, kind=args.kind)
                if query:
                    rows = hits_matching(s, query, rows, args.limit)
        except QueryError as exc:
            print(f"--query: {exc}", file=sys.stderr)
            return EXIT_INVALID
        except UnknownWatchlist as exc:
            print(exc, file=sys.stderr)
            return EXIT_INVALID
    write_hits([r.as_dict() for r in rows], args.format)
    return 0


def write_hits(records: list[dict[str, Any]], fmt: str) -> None:
    """JSON keeps every field; CSV and the table name the sources; the table cuts times."""
    if fmt == "json":
        write_records(records, [], "json")
        return
    for r in records:
        r["sources"] = ", ".join(source["name"] for source in r["sources"])
        r["versions"] = versions_cell(r["versions"])
    if fmt == "csv":
        write_records(records, CSV_COLUMNS, "csv")
        return
    for r in records:
        r["created_at"] = r["created_at"][:16].replace("T", " ")
        r["published"] = (r["published_at"] or "–")[:16].replace("T", " ")
    write_records(records, TABLE_COLUMNS, "table",
                  widths={"title": 60, "link": 50, "sources": 30})


def versions_cell(versions: list[dict[str, Any]]) -> str:
    """A story's kept versions in one cell: "1 page; 2 edited 2026-11-30 22:10; 3 removed"."""
    cells = []
    for v in versions:
        change = v["change"]
        what = change["kind"] if change else v["kind"]
        cells.append(f"{v['version']} {what} {v['fetched_at'][:16].replace('T', ' ')}")
    return "; ".join(cells)
