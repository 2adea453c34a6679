"""The ``monitor`` command: run, poll-once, check, match, hits, feeds."""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import sys
from datetime import datetime
from pathlib import Path

from monitor.cli import deliveries as delivery_cli
from monitor.cli.output import distinct_urls, relative_time, short_url, write_records
from monitor.config import resolve_config_path
from monitor.config.problems import InvalidFiles, as_given
from monitor.service.gctune import tune_gc
from monitor.service.logs import setup_logging
from storage.errors import SchemaOutdated

log = logging.getLogger("monitor")

EXIT_INVALID = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell shows for `cmd | head`


def _parse_since(value: str) -> datetime:
    """``--since`` accepts a date or an ISO 8601 time; naive values are UTC."""
    from storage.hits import parse_since

    try:
        return parse_since(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _common_options(p: argparse.ArgumentParser, defaults: bool) -> None:
    """Options accepted before or after the sub-command (``monitor check --config X``)."""
    d = (lambda v: v) if defaults else (lambda _v: argparse.SUPPRESS)
    p.add_argument("--config", default=d(None),
                   help="config file (default: $MONITOR_CONFIG or ./config.toml)")
    p.add_argument("--log-level", default=d("INFO"), help="DEBUG, INFO, WARNING or ERROR")
    p.add_argument("--log-format", choices=["text", "json"], default=d("text"))


def build_parser() -> argparse.ArgumentParser:
    """Sub-commands and their options (a public contract: extend, don't rename)."""
    p = argparse.ArgumentParser(prog="monitor", description="Media monitoring and alerting.")
    _common_options(p, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, defaults=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common])

    add("run", "run the daemon: poll on schedule and send alerts")
    once = add("poll-once", "poll every feed once, send due alerts, exit")
    once.add_argument("--json", action="store_true", help="print a JSON summary")
    add("check", "validate config and watchlists (exit 2 on problems)")
    match = add("match", "match JSON Lines stories on stdin against watchlists")
    match.add_argument("--watchlists", help="directory of watchlist TOML files "
                                              "(default: the config's [watchlists] dir)")
    match.add_argument("--explain", action="store_true", help="also show vetoed near-misses")
    hits = add("hits", "list stored hits")
    hits.add_argument("--watchlist")
    hits.add_argument("--entity")
    hits.add_argument("--since", type=_parse_since, help="ISO date or time (UTC if no zone)")
    hits.add_argument("--limit", type=int, default=100)
    hits.add_argument("--format", choices=["table", "json", "csv"], default="table")
    add("health", "exit 0 when the daemon is healthy: its /healthz with [http] listen set, "
                  "else storage answers and polling is current (for HEALTHCHECK)")
    feeds = add("feeds", "show each feed's health, or import/export the feed list as OPML")
    feeds.add_argument("action", nargs="?", choices=["import-opml", "export-opml"],
                       help="import-opml FILE: append its feeds to the config; "
                            "export-opml: write the config's feeds as OPML")
    feeds.add_argument("file", nargs="?", help="the OPML file to import")
    feeds.add_argument("--format", choices=["table", "json"], default="table")
    feeds.add_argument("--output", help="export-opml: write here instead of stdout")
    delivery_cli.add_parsers(add, common)
    db = add("db", "database schema and housekeeping: upgrade, current, prune")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="migrate the schema to this version", parents=[common])
    db_sub.add_parser("current", help="show the schema revision (exit 1 if behind)",
                      parents=[common])
    prune = db_sub.add_parser("prune", help="delete stories older than retention_days",
                              parents=[common])
    prune.add_argument("--days", type=int, help="override [storage] retention_days")
    return p


def _print_problems(problems) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def _load(args, warn: bool = True):
    """The runtime; read-only commands pass ``warn=False`` (config warnings are for senders)."""
    from monitor.service.runtime import load_runtime

    return load_runtime(resolve_config_path(args.config), warn=warn)


def cmd_check(args) -> int:
    from monitor.service.runtime import check_all

    path = resolve_config_path(args.config)
    config, watchlists, problems = check_all(path)
    if config is not None:
        _print_problems(config.warnings)
    if problems:
        _print_problems(problems)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_INVALID
    print(f"ok: {path}: {len(config.feeds)} feeds, {len(watchlists)} watchlists "
          f"({sum(len(w.entities) for w in watchlists)} entities), "
          f"{len(config.subscribers)} subscribers")
    return 0


def cmd_poll_once(args) -> int:
    from monitor.pipeline.cycle import poll_cycle
    from monitor.pipeline.pool import PARSE_POOLS

    rt = _load(args)
    try:
        stats = poll_cycle(rt, force=True)
    finally:
        PARSE_POOLS.close()
        rt.close()
    if args.json:
        print(json.dumps(stats.as_dict()))
    return 0


def cmd_run(args) -> int:
    from monitor.service.daemon import Daemon

    return Daemon(_load(args)).run_forever()


def cmd_match(args) -> int:
    from monitor.cli.match import match_stream
    from monitor.config import load_config

    if args.watchlists:
        directory = Path(args.watchlists)
    else:
        path = resolve_config_path(args.config)
        if not path.is_file():
            print(f"{path}: config file not found: pass --watchlists DIR, or the config "
                  "with --config PATH or MONITOR_CONFIG", file=sys.stderr)
            return EXIT_INVALID
        config = load_config(path)
        directory = as_given(config.path, config.watchlists_dir)
    return match_stream(directory, sys.stdin, sys.stdout, explain=args.explain)


def cmd_hits(args) -> int:
    from storage.hits import UnknownWatchlist, list_hits, resolve_watchlist, stored_watchlists

    rt = _load(args, warn=False)
    try:
        with rt.db.read() as s:
            watchlist = args.watchlist and resolve_watchlist(
                args.watchlist, [w.name for w in rt.watchlists], lambda: stored_watchlists(s))
            rows = list_hits(s, watchlist, args.entity, args.since, args.limit)
    except UnknownWatchlist as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    finally:
        rt.close()
    records = [r.as_dict() for r in rows]
    if args.format == "json":
        write_records(records, [], "json")
        return 0
    for r in records:
        r["sources"] = ", ".join(source["name"] for source in r["sources"])
    if args.format == "csv":
        write_records(records, ["created_at", "watchlist", "entity", "matched", "title", "source",
                                "link", "id", "field", "score", "context", "published_at",
                                "sources"], "csv")
        return 0
    for r in records:
        r["created_at"] = r["created_at"][:16].replace("T", " ")
        r["published"] = (r["published_at"] or "–")[:16].replace("T", " ")
    write_records(records, ["created_at", "published", "watchlist", "entity", "matched", "title",
                            "sources", "link"], "table",
                  widths={"title": 60, "link": 50, "sources": 30})
    return 0


def cmd_feeds_opml(args) -> int:
    """``feeds import-opml FILE`` / ``feeds export-opml [--output FILE]``."""
    from monitor.config import load_config
    from monitor.config.opml import OpmlError, append_feeds, read_opml, to_opml

    path = resolve_config_path(args.config)
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
            "kind": f.kind, "params": params_of(f)}


def _feed_row(f, url: str, now: datetime) -> dict:
    """A feed's health as the table shows it: relative times, ``url`` shortened."""
    next_poll = ("never" if f.state == "disabled" else "due now" if f.next_poll_at <= now
                 else relative_time(f.next_poll_at, now))
    return {"name": f.name, "kind": f.kind, "url": url, "state": f.state,
            "next poll": next_poll,
            "last poll": relative_time(f.last_polled_at, now),
            "last new story": relative_time(f.last_new_story_at, now),
            "entries": f.entries_seen,
            "moved to": short_url(f.fetch_url) if f.fetch_url != f.url else "",
            "last error": f.last_error}


def cmd_feeds(args) -> int:
    if args.action:
        return cmd_feeds_opml(args)
    from storage.models import utcnow
    from storage.sources import list_sources

    rt = _load(args, warn=False)
    try:
        with rt.db.session() as s:
            rows = list_sources(s, rt.config.feeds)  # configured feeds first, in config order
            now = utcnow()
            records = ([_feed_record(f) for f in rows] if args.format == "json" else
                       [_feed_row(f, url, now)
                        for f, url in zip(rows, distinct_urls([f.url for f in rows]),
                                          strict=True)])
    finally:
        rt.close()
    if args.format == "json":
        write_records(records, [], "json")
        return 0
    columns = ["name", "kind", "url", "state", "next poll", "last poll", "last new story",
               "entries", "moved to", "last error"]
    write_records(records, columns, "table",
                  widths={"name": 24, "url": 60, "moved to": 60, "last error": 40})
    return 0


def cmd_health(args) -> int:
    from monitor.config import load_config
    from monitor.service.health import check_health, check_http_health
    from storage import connect

    config = load_config(resolve_config_path(args.config))
    if config.http.listen:
        ok, reason = check_http_health(config.http)
    else:
        db = connect(config.storage_url, create=False)
        try:
            ok, reason = check_health(config, db)
        finally:
            db.dispose()
    print(reason, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def cmd_db(args) -> int:
    from monitor.cli.db import run_db_command

    return run_db_command(args)


COMMANDS = {"run": cmd_run, "poll-once": cmd_poll_once, "check": cmd_check, "match": cmd_match,
            "hits": cmd_hits, "feeds": cmd_feeds, "health": cmd_health, "db": cmd_db}
COMMANDS.update(delivery_cli.COMMANDS)


def _stdout_reader_gone() -> bool:
    """Is stdout a pipe whose reader has closed it? (Not some socket's EPIPE inside a command.)"""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def _end_quietly() -> int:
    """stdout's reader closed the pipe (``monitor hits | head``): end quietly, as cat would.

    stdout is pointed at /dev/null so that the interpreter's final flush cannot fail again
    (Python docs, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; invalid files exit 2 with file:line messages."""
    tune_gc()
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise
        return _end_quietly()
    except InvalidFiles as exc:
        _print_problems(exc.problems)
        print("refusing to start: fix the problems above (see `monitor check`)", file=sys.stderr)
        return EXIT_INVALID
    except SchemaOutdated as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
