"""``monitor notify-test``: send a sample alert to every channel of a subscriber."""

from __future__ import annotations

import argparse
import sys

from monitor.cli.common import EXIT_FAILED, EXIT_INVALID, Commands, find_subscriber, runtime


def register(commands: Commands) -> None:
    """Add ``notify-test --subscriber NAME``."""
    test = commands.add("notify-test", "send a sample alert to every channel of a subscriber",
                        cmd_notify_test)
    test.add_argument("--subscriber", required=True)


def cmd_notify_test(args: argparse.Namespace) -> int:
    """One line per channel, ``ok`` or ``FAILED: why``; exit 1 if any failed."""
    with runtime(args) as rt:
        if find_subscriber(rt, args.subscriber) is None:
            return EXIT_INVALID
        results = rt.outbox.send_test(args.subscriber)
    if not results:
        print(f"subscriber {args.subscriber!r} has no enabled channel", file=sys.stderr)
        return EXIT_FAILED
    for label, error in results:
        print(f"{label}: {'ok' if error is None else 'FAILED: ' + error}")
    return 0 if all(error is None for _, error in results) else EXIT_FAILED
