"""Sub-commands around delivery: ``deliveries [retry]``, ``digest``, ``notify-test``."""

from __future__ import annotations

import json
import sys
from datetime import UTC

from monitor.cli.output import write_records

STATES = ["pending", "sending", "sent", "failed"]


def add_parsers(add, common) -> None:
    """Register the sub-commands with ``add(name, help)``; ``common`` holds shared options."""
    d = add("deliveries", "show the delivery ledger; `deliveries retry ID|--failed` re-queues")
    d.add_argument("--state", choices=STATES)
    d.add_argument("--subscriber")
    d.add_argument("--limit", type=int, default=100)
    d.add_argument("--format", choices=["table", "json", "csv"], default="table")
    actions = d.add_subparsers(dest="action", metavar="ACTION")
    retry = actions.add_parser("retry", parents=[common],
                                help="re-queue deliveries (by id, or every failed one)")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID")
    retry.add_argument("--failed", action="store_true", help="re-queue every failed delivery")
    digest = add("digest", "send a subscriber's pending digest now (nothing pending: nothing sent)")
    digest.add_argument("--subscriber", required=True)
    digest.add_argument("--json", action="store_true", help="print a JSON summary")
    test = add("notify-test", "send a sample alert to every channel of a subscriber")
    test.add_argument("--subscriber", required=True)


def _subscriber(rt, name: str):
    recipient = rt.outbox.recipients.get(name)
    if recipient is None:
        known = ", ".join(sorted(rt.outbox.recipients)) or "none configured"
        print(f"unknown subscriber {name!r} (known: {known})", file=sys.stderr)
    return recipient


def _digest_send_times(records: list[dict], subscribers) -> None:
    """A digest row waits for its schedule, not for ``next_attempt_at`` (its creation time):
    show the schedule's next run. A retried digest (attempts > 0) keeps its retry time."""
    from monitor.service.schedule import cron_trigger
    from storage.models import utcnow

    now = utcnow()
    next_run = {r.name: cron_trigger(r.schedule, r.timezone).get_next_fire_time(None, now)
                for r in subscribers if r.digest and r.schedule}
    for r in records:
        when = next_run.get(r["subscriber"])
        if when is not None and r["state"] == "pending" and not r["attempts"]:
            r["next_attempt_at"] = when.astimezone(UTC).isoformat()


def cmd_deliveries(args, rt) -> int:
    from notifiers.ledger import ledger_rows, retry

    if getattr(args, "action", None) == "retry":
        if not args.ids and not args.failed:
            print("deliveries retry: give delivery ids or --failed", file=sys.stderr)
            return 2
        with rt.db.session() as s:
            n = retry(s, None if args.failed else args.ids)
        print(f"re-queued {n} deliver{'y' if n == 1 else 'ies'}")
        return 0
    labels = {(r.name, c.id): c.label for r in rt.config.subscribers for c in r.channels}
    with rt.db.read() as s:
        records = ledger_rows(s, args.state, args.subscriber, args.limit, labels)
    _digest_send_times(records, rt.config.subscribers)
    columns = ["id", "state", "subscriber", "channel", "attempts", "next_attempt_at", "sent_at",
               "title", "last_error"]
    if args.format == "table":
        for r in records:
            for key in ("next_attempt_at", "sent_at"):
                r[key] = r[key][:16].replace("T", " ") if r[key] else ""
    else:
        columns += ["story_id", "created_at", "link"]
    write_records(records, columns, args.format, widths={"title": 50, "last_error": 40})
    return 0


def cmd_digest(args, rt) -> int:
    if _subscriber(rt, args.subscriber) is None:
        return 2
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
    return 0 if not (report.retrying or report.failed) else 1


def cmd_notify_test(args, rt) -> int:
    if _subscriber(rt, args.subscriber) is None:
        return 2
    results = rt.outbox.send_test(args.subscriber)
    if not results:
        print(f"subscriber {args.subscriber!r} has no enabled channel", file=sys.stderr)
        return 1
    for label, error in results:
        print(f"{label}: {'ok' if error is None else 'FAILED: ' + error}")
    return 0 if all(error is None for _, error in results) else 1


def _with_runtime(fn, warn: bool = True):
    def run(args) -> int:
        from monitor.cli import _load

        rt = _load(args, warn=warn)
        try:
            return fn(args, rt)
        finally:
            rt.close()
    return run


COMMANDS = {"deliveries": _with_runtime(cmd_deliveries, warn=False),
            "digest": _with_runtime(cmd_digest), "notify-test": _with_runtime(cmd_notify_test)}
