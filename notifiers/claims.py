"""Claims: a worker takes deliveries under a lease before sending, so a crash re-sends, never loses.

Every state change of the ledger goes through here. A claim is one message: its token is kept on
the rows after sending, which is how the flood limit counts messages. A worker that dies leaves
rows in ``sending``; once the lease has run out any worker may claim them again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage import Delivery


def claimable(now: datetime, lease: float):
    """SQL condition: pending, or claimed by a worker whose lease ran out."""
    stale = now - timedelta(seconds=lease)
    return or_(Delivery.state == "pending",
               and_(Delivery.state == "sending", Delivery.claimed_at < stale))


def claim(session: Session, ids: Sequence[int], now: datetime,
          lease: float) -> tuple[str, list[int]]:
    """Take the still-claimable rows among ``ids``; returns the claim token and the rows taken."""
    token = uuid.uuid4().hex
    if not ids:
        return token, []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), claimable(now, lease))
        .values(state="sending", claim=token, claimed_at=now)
        .execution_options(synchronize_session=False))
    taken = session.scalars(select(Delivery.id).where(Delivery.claim == token)
                            .order_by(Delivery.id))
    return token, list(taken)


def finish_sent(session: Session, token: str, now: datetime) -> int:
    """Mark a claim's rows sent (unless the lease was lost to another worker)."""
    result = session.execute(
        update(Delivery).where(Delivery.claim == token, Delivery.state == "sending")
        .values(state="sent", sent_at=now, last_error=None, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount


class Failure(NamedTuple):
    """What ``finish_failed`` did: rows to retry and failed for good; of those retried, the
    most attempts made and the soonest next attempt (None when nothing is retried)."""

    retrying: int
    failed: int
    attempts: int
    next_at: datetime | None


def finish_failed(session: Session, token: str, error: str, now: datetime,
                  delay: Callable[[int], float], max_attempts: int) -> Failure:
    """Count a failed attempt: back to pending after ``delay(attempts)``, or failed for good."""
    rows = list(session.scalars(select(Delivery).where(Delivery.claim == token,
                                                       Delivery.state == "sending")))
    failed = 0
    retried: list[Delivery] = []
    for d in rows:
        d.attempts += 1
        d.last_error = error
        d.claimed_at = None
        if d.attempts >= max_attempts:
            d.state = "failed"
            failed += 1
        else:
            d.state = "pending"
            d.next_attempt_at = now + timedelta(seconds=delay(d.attempts))
            retried.append(d)
    return Failure(len(retried), failed, max((d.attempts for d in retried), default=0),
                   min((d.next_attempt_at for d in retried), default=None))


def release(session: Session, token: str) -> int:
    """Give a claim back untried (shutting down before the send started)."""
    result = session.execute(
        update(Delivery).where(Delivery.claim == token, Delivery.state == "sending")
        .values(state="pending", claim=None, claimed_at=None)
        .execution_options(synchronize_session=False))
    return result.rowcount


def messages_since(session: Session, subscriber: str, channel: str, since: datetime) -> int:
    """Messages (claims) sent to one channel since ``since``: what the flood limit counts."""
    return session.scalar(
        select(func.count(func.distinct(Delivery.claim)))
        .where(Delivery.subscriber == subscriber, Delivery.channel == channel,
               Delivery.state == "sent", Delivery.sent_at >= since)) or 0


def requeue(session: Session, ids: Sequence[int] | None, now: datetime) -> int:
    """Put failed rows (``ids`` None: every failed row) or given rows back to pending, due now."""
    q = update(Delivery).values(state="pending", attempts=0, next_attempt_at=now,
                                claim=None, claimed_at=None)
    q = q.where(Delivery.state == "failed") if ids is None else q.where(
        Delivery.id.in_(list(ids)), Delivery.state != "sending")
    return session.execute(q.execution_options(synchronize_session=False)).rowcount
