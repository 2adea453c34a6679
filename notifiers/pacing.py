"""Decide how due deliveries of one channel become messages: one each, held, or combined."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from notifiers.channels import Recipient

ALERT, HELD, FLOOD, DIGEST = "alert", "held", "flood", "digest"


@dataclass(frozen=True)
class Due:
    """A due delivery, as much of it as pacing needs."""

    id: int
    created_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class Batch:
    """One message to send: ``kind`` alert (one story) or held/flood/digest (a summary)."""

    kind: str
    ids: tuple[int, ...]


def plan(recipient: Recipient, due: Sequence[Due], now: datetime,
         sent_last_hour: int) -> list[Batch]:
    """Messages to send now for one channel of an immediate subscriber (none: hold them).

    Quiet hours hold everything; when they end what was held goes out as one message. Above
    ``max_per_hour`` messages in the last hour, what is due is combined into one summary, and
    when even that would exceed the limit it waits for the hour to free a slot.
    """
    if not due:
        return []
    due = sorted(due, key=lambda d: (d.created_at, d.id))
    quiet = recipient.quiet_hours
    if quiet is not None:
        local = now.astimezone(recipient.tz)
        if quiet.contains(local):
            return []
        start, end = quiet.last_window(local)
        held = any(start <= d.created_at < end for d in due)
        if held and len(due) > 1:
            return [Batch(HELD, tuple(d.id for d in due))]
    budget = recipient.max_per_hour - sent_last_hour
    if len(due) <= budget:
        return [Batch(ALERT, (d.id,)) for d in due]
    if budget >= 1:
        return [Batch(FLOOD, tuple(d.id for d in due))]
    return []
