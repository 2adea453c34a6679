"""``monitor feeds``: each feed's health; ``feeds add``, ``import-opml`` / ``export-opml``."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from monitor.cli.common import (
    EXIT_INVALID,
    Commands,
    config_path,
    distinct_urls,
    duration_text,
    load_runtime,
    relative_time,
    short_url,
    write_records,
)


def register(commands: Commands) -> None:
    """Add ``feeds [import-opml FILE | export-opml [--output FILE] | add URL [--name N]
    [--yes]] [--format F]``."""
    feeds = commands.add("feeds", "show each feed's health, add a feed, or import/export the "
                                  "feed list as OPML", cmd_feeds)
    feeds.add_argument("action", nargs="?", choices=["import-opml", "export-opml", "add"],
                       help="import-opml FILE: append its feeds to the config; "
                            "export-opml: write the config's feeds as OPML; "
                            "add URL: add a feed, or find the feeds of a web page")
    feeds.add_argument("file", nargs="?", help="the OPML file to import; the URL to add")
    feeds.add_argument("--name", help="add: the feed's name (default: its own title)")
    feeds.add_argument("--yes", action="store_true",
                       help="add: take the first feed found without asking")
    feeds.add_argument("--format", choices=["table", "json"], default="table")
    feeds.add_argument("--output", help="export-opml: write here instead of stdout")


def cmd_feeds_opml(args: argparse.Namespace) -> int:
    """``feeds import-opml FILE`` / ``feeds export-opml [--output FILE]``."""
    from monitor.config import load_config
    from monitor.config.opml import OpmlError, append_feeds, read_opml, to_opml

    path = config_path(args)
    config = load_config(path)
    if args.action == "export-opml":
        text = to_opml(config.feeds)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if not args.file:
        print("feeds import-opml needs the OPML file to read", file=sys.stderr)
        return EXIT_INVALID
    try:
        found = read_opml(Path(args.file))
    except OpmlError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    added = append_feeds(path, found, (f.url for f in config.feeds))
    print(f"{len(added)} feed(s) added to {path}, {len(found) - len(added)} already present")
    return 0


def _feed_record(f) -> dict:
    """A source's health as ``feeds --format json`` prints it (ISO times, full URLs)."""
    from storage.sources import params_of

    def iso(when: datetime | None) -> str | None:
        return when.isoformat() if when else None

    return {"url": f.url, "name": f.name, "state": f.state, "last_error": f.last_error,
            "next_poll_at": f.next_poll_at.isoformat(), "last_polled_at": iso(f.last_polled_at),
            "entries_seen": f.entries_seen, "last_new_story_at": iso(f.last_new_story_at),
            "error_count": f.error_count,
            "fetch_url": f.fetch_url if f.fetch_url != f.url else None,
            "kind": f.kind, "params": params_of(f), "interval_s": f.interval_s,
            "interval_in_force_s": f.poll_interval_s or f.interval_s}


def _feed_row(f, url: str, now: datetime) -> dict:
    """A feed's health as the table shows it: relative times, ``url`` shortened."""
    next_poll = ("never" if f.state == "disabled" else "due now" if f.next_poll_at <= now
                 else relative_time(f.next_poll_at, now))
    return {"name": f.name, "kind": f.kind, "url": url, "state": f.state,
            "interval": duration_text(f.poll_interval_s or f.interval_s),
            "next poll": next_poll,
            "last poll": relative_time(f.last_polled_at, now),
            "last new story": relative_time(f.last_new_story_at, now),
            "entries": f.entries_seen,
            "moved to": short_url(f.fetch_url) if f.fetch_url != f.url else "",
            "last error": f.last_error}


def _configured(rt, rows: list) -> list:
    """The rows without search sources the config no longer asks for (like removed feeds)."""
    from monitor.sources.search.kinds import SEARCH_KINDS

    searched = {spec.key for spec in rt.search_sources}
    return [f for f in rows if f.kind not in SEARCH_KINDS or f.url in searched]


def _shown_url(f) -> str:
    """What the table shows as a source's URL: for a search source, its query (the name says
    provider, edition and entity), else the stored URL."""
    from monitor.sources.search.kinds import SEARCH_KINDS
    from storage.sources import params_of

    return f"q: {params_of(f).get('query', '')}" if f.kind in SEARCH_KINDS else f.url


def cmd_feeds(args: argparse.Namespace) -> int:
    """Every source's health (configured feeds first, in the config's order), or the OPML
    actions."""
    if args.action == "add":
        from monitor.cli.feeds_add import cmd_feeds_add

        return cmd_feeds_add(args)
    if args.action:
        return cmd_feeds_opml(args)
    from storage.models import utcnow
    from storage.sources import list_sources, sync_sources

    rt = load_runtime(args, warn=False)
    try:
        with rt.db.session() as s:
            sync_sources(s, rt.search_sources)  # before a poll
            rows = _configured(rt, list_sources(s, rt.config.feeds))  # feeds first, in order
            now = utcnow()
            records = ([_feed_record(f) for f in rows] if args.format == "json" else
                       [_feed_row(f, url, now)
                        for f, url in zip(rows, distinct_urls([_shown_url(f) for f in rows]),
                                          strict=True)])
    finally:
        rt.close()
    if args.format == "json":
        write_records(records, [], "json")
        return 0
    columns = ["name", "kind", "url", "state", "interval", "next poll", "last poll",
               "last new story", "entries", "moved to", "last error"]
    write_records(records, columns, "table",
                  widths={"name": 24, "url": 60, "moved to": 60, "last error": 40})
    return 0
