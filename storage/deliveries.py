"""The delivery ledger: deliveries are written with the hits, claimed under a lease, kept.

Every state change of the ledger goes through here. A claim is one message: its token is kept on
the rows after sending, which is how the flood limit counts messages. A worker that dies leaves
rows in ``sending``; once the lease has run out any worker may claim them again. What to claim,
when to retry and what to say is the notifiers' business; these functions only read and write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, CursorResult, Update, and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from storage.models import Delivery, Story, StorySource

Target = tuple[str, str]    # (subscriber, channel id)


def claimable(now: datetime, lease: float) -> ColumnElement[bool]:
    """SQL condition: pending, or claimed by a worker whose lease ran out."""
    stale = now - timedelta(seconds=lease)
    return or_(Delivery.state == "pending",
               and_(Delivery.state == "sending", Delivery.claimed_at < stale))


def add_pending(session: Session, story_id: int, targets: Iterable[Target]) -> int:
    """One pending delivery of the story per (subscriber, channel); returns how many."""
    count = 0
    for subscriber, channel in targets:
        session.add(Delivery(story_id=story_id, subscriber=subscriber, channel=channel))
        count += 1
    return count


class DueRow(NamedTuple):
    """A due delivery, as much of it as pacing needs."""

    id: int
    created_at: datetime
    attempts: int


def due_by_channel(session: Session, now: datetime, lease: float, waiting: Collection[str],
                   limit: int) -> dict[Target, list[DueRow]]:
    """Claimable deliveries whose time has come, by (subscriber, channel), oldest first.

    Each channel gets up to ``limit`` rows; the first tries of ``waiting`` subscribers' rows
    (digests: they wait for the schedule) are left out.
    """
    due = and_(claimable(now, lease),
               or_(Delivery.state == "sending", Delivery.next_attempt_at <= now),
               or_(Delivery.subscriber.not_in(list(waiting)), Delivery.attempts > 0,
                   Delivery.state == "sending"))
    channels = session.execute(select(Delivery.subscriber, Delivery.channel).where(due)
                               .distinct().order_by(Delivery.subscriber, Delivery.channel))
    groups: dict[Target, list[DueRow]] = {}
    for sub, chan in channels.all():
        rows = session.execute(
            select(Delivery.id, Delivery.created_at, Delivery.attempts)
            .where(due, Delivery.subscriber == sub, Delivery.channel == chan)
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
        groups[(sub, chan)] = [DueRow(did, created, attempts) for did, created, attempts in rows]
    return groups


def claimable_ids(session: Session, subscriber: str, channel: str, now: datetime,
                  lease: float) -> list[int]:
    """Every claimable delivery of one channel, whether due or not (a digest sends them all)."""
    return list(session.scalars(select(Delivery.id).where(
        and_(Delivery.subscriber == subscriber, Delivery.channel == channel),
        claimable(now, lease)).order_by(Delivery.id)))


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


def with_stories(session: Session, ids: Sequence[int]) -> list[Delivery]:
    """Deliveries with what a message says loaded: story, hits, feed, every source's feed and
    the evidence check (its archive URL)."""
    story = selectinload(Delivery.story)
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(list(ids))).options(
        story.selectinload(Story.hits), story.selectinload(Story.feed),
        story.selectinload(Story.check),
        story.selectinload(Story.sources).selectinload(StorySource.feed))))


def _changed(session: Session, statement: Update) -> int:
    """Run a bulk UPDATE without syncing the session; the rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    # An UPDATE yields a CursorResult, which Session.execute's signature cannot say.
    return cast(CursorResult[Any], result).rowcount


def finish_sent(session: Session, token: str, now: datetime) -> int:
    """Mark a claim's rows sent (unless the lease was lost to another worker)."""
    return _changed(session,
                    update(Delivery).where(Delivery.claim == token, Delivery.state == "sending")
                    .values(state="sent", sent_at=now, last_error=None,
                            attempts=Delivery.attempts + 1))


class Failure(NamedTuple):
    """What ``finish_failed`` did: rows to retry and failed for good; of those retried, the
    most attempts made and the soonest next attempt (None when nothing is retried)."""

    retrying: int
    failed: int
    attempts: int
    next_at: datetime | None


def finish_failed(session: Session, token: str, error: str,
                  retry_at: Callable[[int], datetime | None]) -> Failure:
    """Count a failed attempt on a claim's rows: back to pending at ``retry_at(attempts)``,
    or failed for good when that is None."""
    rows = list(session.scalars(select(Delivery).where(Delivery.claim == token,
                                                       Delivery.state == "sending")))
    failed = 0
    retried: list[Delivery] = []
    for d in rows:
        d.attempts += 1
        d.last_error = error
        d.claimed_at = None
        when = retry_at(d.attempts)
        if when is None:
            d.state = "failed"
            failed += 1
        else:
            d.state = "pending"
            d.next_attempt_at = when
            retried.append(d)
    return Failure(len(retried), failed, max((d.attempts for d in retried), default=0),
                   min((d.next_attempt_at for d in retried), default=None))


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
    return _changed(session, q)


class LedgerRow(NamedTuple):
    """A delivery with its story's title and link, for ``monitor deliveries``."""

    delivery: Delivery
    title: str
    link: str | None


def ledger(session: Session, state: str | None, subscriber: str | None,
           limit: int | None) -> list[LedgerRow]:
    """Deliveries newest first, optionally of one state and one subscriber."""
    q = (select(Delivery, Story.title, Story.link).join(Story, Delivery.story_id == Story.id)
         .order_by(Delivery.created_at.desc(), Delivery.id.desc()))
    if state:
        q = q.where(Delivery.state == state)
    if subscriber:
        q = q.where(Delivery.subscriber == subscriber)
    if limit:
        q = q.limit(limit)
    return [LedgerRow(d, title, link) for d, title, link in session.execute(q)]


def count_by_state(session: Session) -> dict[str, int]:
    """How many deliveries are in each state (states with none are absent)."""
    return dict(session.execute(select(Delivery.state, func.count())
                                .group_by(Delivery.state)).all())


def queue_depth(session: Session, now: datetime) -> int:
    """Pending deliveries whose time has come."""
    return session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.state == "pending", Delivery.next_attempt_at <= now)) or 0
