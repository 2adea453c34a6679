"""Claim, hold and finish one row of an alert ledger (change alerts, spike alerts): the claim
is an atomic UPDATE only one process wins, so two senders never send a row twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import ChangeAlert, SpikeAlert

Ledger = type[ChangeAlert] | type[SpikeAlert]
WAITING = ("pending", "sending")  # due when their time has come (a sending row: lease over)


def _row(session: Session, table: Ledger, alert_id: int) -> ChangeAlert | SpikeAlert | None:
    if table is ChangeAlert:
        return session.get(ChangeAlert, alert_id)
    return session.get(SpikeAlert, alert_id)


def claim(session: Session, table: Ledger, alert_id: int, now: datetime,
          lease: timedelta) -> bool:
    """Take one due alert to send (False: another process has it); a sender that dies leaves
    it due again once ``lease`` has passed."""
    result = session.execute(
        update(table).where(table.id == alert_id, table.state.in_(WAITING),
                            table.next_attempt_at <= now)
        .values(state="sending", next_attempt_at=now + lease)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def postpone(session: Session, table: Ledger, alert_id: int, when: datetime) -> None:
    """Hold a claimed alert until ``when`` (the end of its subscriber's quiet hours)."""
    row = _row(session, table, alert_id)
    if row is not None:
        row.state, row.next_attempt_at = "pending", when


def finish(session: Session, table: Ledger, alert_id: int, error: str | None, now: datetime,
           retry_at: Callable[[int], datetime | None]) -> str:
    """Mark a claimed alert sent, or count a failure (pending again, or failed for good)."""
    row = _row(session, table, alert_id)
    if row is None:
        return "gone"
    row.attempts += 1
    if error is None:
        row.state, row.sent_at, row.last_error = "sent", now, None
        return row.state
    row.last_error = error
    when = retry_at(row.attempts)
    if when is None:
        row.state = "failed"
    else:
        row.state, row.next_attempt_at = "pending", when
    return row.state
