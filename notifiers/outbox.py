"""The outbox: deliveries are written with the hits, then sent, retried with backoff, kept."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from notifiers.channels import Channel, Recipient
from notifiers.messages import Alert, AlertHit, Message, Renderer
from notifiers.sender import send
from storage import Database, Delivery, Hit, Story
from storage.models import utcnow

log = logging.getLogger(__name__)

Sender = Callable[[Channel, Message], "str | None"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``initial`` seconds doubling per attempt, at most ``max_attempts``."""

    initial: float = 30.0
    max_attempts: int = 10
    cap: float = 6 * 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` failures, with ±20% jitter."""
        base = min(self.cap, self.initial * 2 ** max(0, attempts - 1))
        return base * random.uniform(0.8, 1.2)


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # another worker holds or already sent it


def enqueue(session: Session, story: Story, watchlists: Iterable[str],
            recipients: Sequence[Recipient]) -> int:
    """Add one pending delivery per channel of every subscriber who follows a hit watchlist."""
    hit_watchlists = set(watchlists)
    count = 0
    for recipient in recipients:
        if not any(recipient.wants(w) for w in hit_watchlists):
            continue
        for channel in recipient.channels:
            session.add(Delivery(story=story, subscriber=recipient.name, channel=channel.id))
            count += 1
    return count


def build_alert(story: Story, hits: Iterable[Hit], recipient: Recipient) -> Alert | None:
    """The alert a subscriber gets for a story: only hits in the watchlists they follow."""
    mine = [h for h in hits if recipient.wants(h.watchlist)]
    if not mine:
        return None
    sources = [s.feed.name for s in story.sources if s.feed is not None]
    source = story.feed.name if story.feed is not None else (sources[0] if sources else "")
    others = tuple(dict.fromkeys(s for s in sources if s != source))
    return Alert(
        title=story.title or "(untitled)", link=story.link, source=source,
        hits=tuple(AlertHit(h.watchlist, h.entity, h.matched, h.context or story.title, h.field)
                   for h in mine),
        published=story.published_at, other_sources=others,
    )


class Outbox:
    """Sends due deliveries; a failure is retried, never dropped, and marks stay in the ledger."""

    def __init__(self, db: Database, recipients: Sequence[Recipient], policy: RetryPolicy,
                 renderer: Renderer | None = None, sender: Sender = send):
        self.db = db
        self.recipients = {r.name: r for r in recipients}
        self.policy = policy
        self.renderer = renderer or Renderer()
        self.sender = sender

    def due(self, now: datetime, limit: int) -> list[int]:
        """Ids of pending deliveries whose time has come, oldest first."""
        with self.db.session() as s:
            rows = s.scalars(
                select(Delivery.id).where(Delivery.state == "pending",
                                          Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
            return list(rows)

    def deliver_due(self, now: datetime | None = None, limit: int = 500) -> DeliveryReport:
        """Send every due delivery, each in its own transaction so a crash loses none."""
        report = DeliveryReport()
        for delivery_id in self.due(now or utcnow(), limit):
            outcome = self.deliver_one(delivery_id)
            setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    def deliver_one(self, delivery_id: int) -> str:
        """Send one delivery; the outcome is ``sent``, ``retrying``, ``failed`` or ``skipped``.

        The row stays locked (FOR UPDATE) from the read until the outcome commits, and a row
        another worker has locked is skipped (SKIP LOCKED): several workers on PostgreSQL
        never send the same delivery twice. SQLite ignores the clause (one daemon per file).
        """
        with self.db.session() as s:
            d = s.get(Delivery, delivery_id, with_for_update={"skip_locked": True}, options=[
                selectinload(Delivery.story).selectinload(Story.hits),
                selectinload(Delivery.story).selectinload(Story.sources)])
            if d is None or d.state != "pending":
                return "skipped"
            error = self._attempt(d)
            d.attempts += 1
            now = utcnow()
            if error is None:
                d.state, d.sent_at, d.last_error = "sent", now, None
                log.info("delivered story %s to %s via %s", d.story_id, d.subscriber,
                         self._label(d))
                return "sent"
            d.last_error = error
            if d.attempts >= self.policy.max_attempts:
                d.state = "failed"
                log.error("delivery %s to %s failed for good after %d attempts: %s",
                          d.id, d.subscriber, d.attempts, error)
                return "failed"
            d.next_attempt_at = now + timedelta(seconds=self.policy.delay(d.attempts))
            log.warning("delivery %s to %s failed (attempt %d), retrying at %s: %s",
                        d.id, d.subscriber, d.attempts, d.next_attempt_at.isoformat(), error)
            return "retrying"

    def _label(self, d: Delivery) -> str:
        recipient = self.recipients.get(d.subscriber)
        channel = recipient.channel(d.channel) if recipient else None
        return channel.label if channel else d.channel

    def _attempt(self, d: Delivery) -> str | None:
        recipient = self.recipients.get(d.subscriber)
        channel = recipient.channel(d.channel) if recipient else None
        if recipient is None or channel is None:
            return "subscriber or channel is no longer in the config"
        alert = build_alert(d.story, d.story.hits, recipient)
        if alert is None:
            return None
        return self.sender(channel, self.renderer.render(alert, channel.kind))
