"""``monitor run``: the daemon."""

from __future__ import annotations

import argparse

from monitor.cli.common import Commands, load_runtime


def register(commands: Commands) -> None:
    """Add ``run``."""
    commands.add("run", "run the daemon: poll on schedule and send alerts", cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Poll on schedule and send alerts until stopped."""
    from monitor.service.daemon import Daemon

    return Daemon(load_runtime(args)).run_forever()
