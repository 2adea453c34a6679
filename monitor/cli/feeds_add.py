"""``monitor feeds add URL [--name N] [--yes]``: a feed URL as is, or the feeds a web page
offers; the chosen one is appended to the config as ``import-opml`` does."""

from __future__ import annotations

import argparse
import sys

from monitor.cli.common import EXIT_INVALID, config_path
from monitor.sources.feed.discover import Candidate, DiscoveryError, Fetcher, discover


def _choose(found: list[Candidate], yes: bool) -> Candidate | None:
    """The candidate to add: the only one, the first with ``--yes``, else the one asked for."""
    if len(found) == 1 or yes:
        return found[0]
    for n, c in enumerate(found, start=1):
        print(f"{n}. {c.title or '(untitled)'}  {c.url}")
    try:
        answer = input(f"add which feed? [1-{len(found)}, Enter: 1] ").strip()
    except EOFError:
        print("no answer read: run again with --yes to add the first feed", file=sys.stderr)
        return None
    if not answer:
        return found[0]
    if answer.isdigit() and 1 <= int(answer) <= len(found):
        return found[int(answer) - 1]
    print(f"no feed numbered {answer!r}", file=sys.stderr)
    return None


def cmd_feeds_add(args: argparse.Namespace) -> int:
    """Find the feed, let the admin pick one when a page offers several, append it."""
    from monitor.config import load_config
    from monitor.config.opml import OpmlFeed, append_feeds
    from monitor.pipeline.fetch import user_agent

    if not args.file:
        print("feeds add needs the URL of a feed or of a web page", file=sys.stderr)
        return EXIT_INVALID
    path = config_path(args)
    config = load_config(path)
    polling = config.polling
    try:
        found = discover(args.file.strip(), Fetcher(user_agent(polling), polling.timeout,
                                                    polling.max_bytes))
    except DiscoveryError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    chosen = _choose(found, args.yes)
    if chosen is None:
        return EXIT_INVALID
    name = args.name or chosen.title
    added = append_feeds(path, [OpmlFeed(chosen.url, name)], (f.url for f in config.feeds),
                         note="Added by monitor feeds add")
    if not added:
        print(f"{chosen.url} is already in {path}")
        return 0
    print(f"added {chosen.url} ({name}) to {path}")
    return 0
