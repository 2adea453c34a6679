"""One send loop for the alerts kept in a ledger table (change alerts, spike alerts): each row
is claimed before it is sent, so a daemon and a manual ``poll-once`` never both send it; quiet
hours hold it, the delivery policy retries it, a subscriber gone from the config fails it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from notifiers.channels import Channel, Recipient
from notifiers.messages import Message
from notifiers.outbox import GONE, RetryPolicy, Sender
from storage import Database, alert_ledger
from storage.alert_ledger import Ledger

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # an alert whose sender died is sent again after this


@dataclass(frozen=True)
class Row:
    """One due ledger row: who it goes to and what it is about (for the log)."""

    id: int
    subscriber: str
    channel: str
    about: str


def quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """When the subscriber's quiet hours end, if ``now`` is inside them (else None)."""
    window = recipient.quiet_hours
    local = now.astimezone(recipient.tz)
    if window is None or not window.contains(local):
        return None
    return window.last_end(local) + timedelta(days=1)


def never(_attempts: int) -> datetime | None:
    """No retry: the subscriber or channel left the config."""
    return None


def send_rows(db: Database, table: Ledger, rows: Sequence[Row],
              recipients: Mapping[str, Recipient], now: datetime, policy: RetryPolicy,
              render: Callable[[Row, Channel], Message], sender: Sender,
              should_stop: Callable[[], bool] | None = None) -> Counter[str]:
    """Claim, send and finish each row; counts what became of them (sent, pending: to be
    retried, failed, held: quiet hours; rows another process claimed are not counted)."""
    states: Counter[str] = Counter()
    for row in rows:
        if should_stop is not None and should_stop():
            break
        with db.session() as s:
            if not alert_ledger.claim(s, table, row.id, now, LEASE):
                continue
        recipient = recipients.get(row.subscriber)
        if recipient is not None and (held := quiet_until(recipient, now)) is not None:
            with db.session() as s:
                alert_ledger.postpone(s, table, row.id, held)
            states["held"] += 1
            continue
        channel = recipient.channel(row.channel) if recipient else None
        retry: Callable[[int], datetime | None] = partial(policy.retry_at, now)
        if channel is None:
            error: str | None = GONE
            retry = never
        else:
            error = sender(channel, render(row, channel))
        with db.session() as s:
            state = alert_ledger.finish(s, table, row.id, error, now, retry)
        states[state] += 1
        if state == "sent":
            log.info("sent %s to %s", row.about, row.subscriber)
        else:
            log.warning("%s to %s: %s (%s)", row.about, row.subscriber, error, state)
    return states
