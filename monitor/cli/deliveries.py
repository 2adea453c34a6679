"""``monitor deliveries``: the delivery ledger; ``deliveries retry`` re-queues."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

from monitor.cli.common import EXIT_INVALID, Commands, runtime, write_records

if TYPE_CHECKING:
    from notifiers.channels import Recipient

STATES = ["pending", "sending", "sent", "failed"]
COLUMNS = ["id", "state", "subscriber", "channel", "attempts", "next_attempt_at", "sent_at",
           "title", "last_error"]
MORE_COLUMNS = ["story_id", "created_at", "link"]  # in JSON and CSV, not the table


def register(commands: Commands) -> None:
    """Add ``deliveries [--state S] [--subscriber S] [--limit N] [--format F]`` and
    ``deliveries retry ID…|--failed``."""
    d = commands.add("deliveries", "show the delivery ledger; `deliveries retry ID|--failed` "
                                   "re-queues", cmd_deliveries)
    d.add_argument("--state", choices=STATES)
    d.add_argument("--subscriber")
    d.add_argument("--limit", type=int, default=100)
    d.add_argument("--format", choices=["table", "json", "csv"], default="table")
    actions = commands.nested(d, dest="action", required=False)
    retry = actions.add("retry", "re-queue deliveries (by id, or every failed one)", cmd_retry)
    retry.add_argument("ids", nargs="*", type=int, metavar="ID")
    retry.add_argument("--failed", action="store_true", help="re-queue every failed delivery")


def cmd_deliveries(args: argparse.Namespace) -> int:
    """The ledger, newest first, with channel labels (never URLs)."""
    from notifiers.ledger import ledger_rows

    with runtime(args, warn=False) as rt:
        labels = {(r.name, c.id): c.label for r in rt.config.subscribers for c in r.channels}
        with rt.db.read() as s:
            records = ledger_rows(s, args.state, args.subscriber, args.limit, labels)
        _digest_send_times(records, rt.config.subscribers)
    columns = list(COLUMNS)
    if args.format == "table":
        for r in records:
            for key in ("next_attempt_at", "sent_at"):
                r[key] = r[key][:16].replace("T", " ") if r[key] else ""
    else:
        columns += MORE_COLUMNS
    write_records(records, columns, args.format, widths={"title": 50, "last_error": 40})
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    """Re-queue the given deliveries, or every failed one, for the next pass."""
    from notifiers.ledger import retry

    with runtime(args, warn=False) as rt:
        if not args.ids and not args.failed:
            print("deliveries retry: give delivery ids or --failed", file=sys.stderr)
            return EXIT_INVALID
        with rt.db.session() as s:
            n = retry(s, None if args.failed else args.ids)
    print(f"re-queued {n} deliver{'y' if n == 1 else 'ies'}")
    return 0


def _digest_send_times(records: list[dict[str, Any]], subscribers: Sequence[Recipient]) -> None:
    """A digest row waits for its schedule, not for ``next_attempt_at`` (its creation time):
    show the schedule's next run. A retried digest (attempts > 0) keeps its retry time."""
    from monitor.config.schedule import cron_trigger
    from storage.models import utcnow

    now = utcnow()
    next_run = {r.name: cron_trigger(r.schedule, r.timezone).get_next_fire_time(None, now)
                for r in subscribers if r.digest and r.schedule}
    for r in records:
        when = next_run.get(r["subscriber"])
        if when is not None and r["state"] == "pending" and not r["attempts"]:
            r["next_attempt_at"] = when.astimezone(UTC).isoformat()
