"""``monitor check``: validate the config and the watchlists."""

from __future__ import annotations

import argparse
import sys

from monitor.cli.common import EXIT_INVALID, Commands, config_path, print_problems


def register(commands: Commands) -> None:
    """Add ``check``."""
    commands.add("check", "validate config and watchlists (exit 2 on problems)", cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """Every problem as ``file:line: message`` and exit 2, or a one-line summary and exit 0."""
    from monitor.config.check import check_all

    path = config_path(args)
    config, watchlists, problems = check_all(path)
    if config is not None:
        print_problems(config.warnings)
    if problems or config is None:
        print_problems(problems)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_INVALID
    searches = ""
    if config.searches:
        from monitor.sources.search.configured import search_sources

        searches = (f"{len(search_sources(config.searches, watchlists))} search sources "
                    f"({len(config.searches)} [[search]]), ")
    print(f"ok: {path}: {len(config.feeds)} feeds, {searches}{len(watchlists)} watchlists "
          f"({sum(len(w.entities) for w in watchlists)} entities), "
          f"{len(config.subscribers)} subscribers"
          + (f", {len(config.records)} records sources" if config.records else ""))
    return 0
