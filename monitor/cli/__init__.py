"""The ``monitor`` command: one module per command group, each adding itself with
``register(commands)``; the plumbing they share lives in ``monitor.cli.common``."""

from __future__ import annotations

import argparse

from monitor.cli import (
    backtest,
    check,
    db,
    deliveries,
    digest,
    evidence,
    extract,
    feeds,
    health,
    hits,
    match,
    notify_test,
    poll_once,
    run,
    trends,
)
from monitor.cli.common import Commands, common_options, run_command
from monitor.service.gctune import tune_gc
from monitor.service.logs import setup_logging

# in the order ``monitor --help`` lists them
COMMAND_MODULES = (run, poll_once, check, match, hits, health, feeds, deliveries, digest,
                   notify_test, db, backtest, trends, extract, evidence)


def build_parser() -> argparse.ArgumentParser:
    """Sub-commands and their options (a public contract: extend, don't rename)."""
    p = argparse.ArgumentParser(prog="monitor", description="Media monitoring and alerting.")
    common_options(p, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    common_options(common, defaults=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = Commands(sub.add_parser, common)
    for module in COMMAND_MODULES:
        module.register(commands)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; invalid files exit 2 with file:line messages."""
    tune_gc()
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    return run_command(args)
