"""``monitor digest``: send a subscriber's pending digest now."""

from __future__ import annotations

import argparse
import json

from monitor.cli.common import EXIT_FAILED, EXIT_INVALID, Commands, find_subscriber, runtime


def register(commands: Commands) -> None:
    """Add ``digest --subscriber NAME [--json]``."""
    digest = commands.add("digest", "send a subscriber's pending digest now (nothing pending: "
                                    "nothing sent)", cmd_digest)
    digest.add_argument("--subscriber", required=True)
    digest.add_argument("--json", action="store_true", help="print a JSON summary")


def cmd_digest(args: argparse.Namespace) -> int:
    """Send it and say what went out; exit 1 when some deliveries did not."""
    with runtime(args) as rt:
        if find_subscriber(rt, args.subscriber) is None:
            return EXIT_INVALID
        report = rt.outbox.send_digest(args.subscriber)
        summary = {"subscriber": args.subscriber, "messages": report.messages, "stories_sent":
                   report.sent, "retrying": report.retrying, "failed": report.failed}
        if args.json:
            print(json.dumps(summary))
        elif report.messages == 0 and not (report.retrying or report.failed):
            print(f"nothing pending for {args.subscriber}: nothing sent")
        else:
            print(f"digest for {args.subscriber}: {report.messages} message(s) sent covering "
                  f"{report.sent} deliveries; {report.retrying + report.failed} not delivered")
        return 0 if not (report.retrying or report.failed) else EXIT_FAILED
