"""The outbox: deliveries are written with the hits, claimed, sent, retried with backoff, kept."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from notifiers.channels import Channel, Recipient
from notifiers.content import build_alert, build_digest, sample_alert
from notifiers.limits import fit, limits_for
from notifiers.messages import Alert, Message, Renderer
from notifiers.pacing import ALERT, DIGEST, FLOOD, HELD, Batch, Due, plan
from notifiers.sender import send
from storage import Database, Session, deliveries
from storage.models import utcnow

__all__ = ["DeliveryReport", "Outbox", "RetryPolicy", "Sender", "build_alert", "enqueue"]

log = logging.getLogger(__name__)

Sender = Callable[[Channel, Message], "str | None"]
GONE = "subscriber or channel is no longer in the config"
HOUR = timedelta(hours=1)
SEND_CONCURRENCY = 8  # channels sent to side by side: one slow target holds up no other
KIND_NAMES = {ALERT: "alert", HELD: "summary", FLOOD: "summary", DIGEST: "digest"}


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

    def retry_at(self, now: datetime, attempts: int) -> datetime | None:
        """When to try again after ``attempts`` failures at ``now``; None: failed for good."""
        if attempts >= self.max_attempts:
            return None
        return now + timedelta(seconds=self.delay(attempts))


@dataclass
class DeliveryReport:
    """What one pass over the outbox did; counts are deliveries, ``messages`` what was sent."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    messages: int = 0

    def add(self, other: DeliveryReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def tried(self) -> int:
        return self.sent + self.retrying + self.failed


class Routable(Protocol):
    """What routing reads of a hit: a matcher hit or a stored one (read-only either way)."""

    @property
    def watchlist(self) -> str: ...

    @property
    def entity(self) -> str: ...

    @property
    def score(self) -> float: ...


def enqueue(session: Session, story_id: int, hits: Iterable[Routable],
            recipients: Sequence[Recipient], skip: Collection[tuple[str, str]] = ()) -> int:
    """Add one pending delivery per channel of every subscriber whose routing a hit passes;
    ``skip``: (subscriber, channel) the story was already queued for (a later body hit)."""
    hits = list(hits)
    targets = [(recipient.name, channel.id) for recipient in recipients
               if any(recipient.wants_hit(h.watchlist, h.entity, h.score) for h in hits)
               for channel in recipient.channels if (recipient.name, channel.id) not in skip]
    return deliveries.add_pending(session, story_id, targets)


class Outbox:
    """Sends what is due; failures are retried, never dropped, and every row stays in the ledger."""

    def __init__(self, db: Database, recipients: Sequence[Recipient], policy: RetryPolicy,
                 renderer: Renderer | None = None, sender: Sender = send, lease: float = 300.0,
                 concurrency: int = SEND_CONCURRENCY):
        self.db = db
        self.concurrency = concurrency
        self.recipients = {r.name: r for r in recipients}
        self.policy = policy
        self.renderer = renderer or Renderer()
        self.sender = sender
        self.lease = lease
        self.stopping = threading.Event()
        self._pass = threading.Lock()

    def stop(self) -> None:
        """Finish the message in flight, start no other (SIGTERM)."""
        self.stopping.set()

    def due(self, now: datetime, limit: int) -> dict[tuple[str, str], list[Due]]:
        """Claimable deliveries whose time has come, by (subscriber, channel), oldest first.

        Each channel gets up to ``limit`` rows, so alerts held for one subscriber never crowd
        out another's; a digest subscriber's rows wait for the schedule unless retried.
        """
        digests = [r.name for r in self.recipients.values() if r.digest]
        with self.db.read() as s:
            groups = deliveries.due_by_channel(s, now, self.lease, digests, limit)
        return {key: [Due(*row) for row in rows] for key, rows in groups.items()}

    def deliver_due(self, now: datetime | None = None, limit: int = 500,
                    should_stop: Callable[[], bool] | None = None) -> DeliveryReport:
        """Send every due delivery as its subscriber's pacing says; one claim per message.

        One pass at a time per process (a second caller returns at once); channels are sent to
        side by side (at most ``concurrency``), each channel's messages one after another.
        Passes repeat while a channel had more than ``limit`` rows due, so everything due goes
        out. ``should_stop()`` true: leave the rest for the next pass.
        """
        report = DeliveryReport()
        if not self._pass.acquire(blocking=False):
            return report
        try:
            self._deliver_due(now or utcnow(), limit, report, should_stop)
        finally:
            self._pass.release()
        if report.tried:
            log.info("delivery pass: %d deliveries sent in %d messages, %d to retry, %d failed",
                     report.sent, report.messages, report.retrying, report.failed)
        return report

    def _deliver_due(self, now: datetime, limit: int, report: DeliveryReport,
                     should_stop: Callable[[], bool] | None = None) -> None:
        def stopped() -> bool:
            return self.stopping.is_set() or (should_stop is not None and should_stop())

        while not stopped():
            groups = self.due(now, limit)
            tried = report.tried
            for channel_report in self._send_channels(groups, now, stopped):
                report.add(channel_report)
            if report.tried == tried or all(len(d) < limit for d in groups.values()):
                return

    def _send_channels(self, groups: dict[tuple[str, str], list[Due]], now: datetime,
                       stopped: Callable[[], bool]) -> list[DeliveryReport]:
        """Each channel's messages in order; several channels side by side."""
        jobs = [partial(self._deliver_channel, key, due, now, stopped)
                for key, due in groups.items()]
        if len(jobs) <= 1 or self.concurrency <= 1:
            return [job() for job in jobs]
        with ThreadPoolExecutor(min(self.concurrency, len(jobs)),
                                thread_name_prefix="send") as pool:
            return list(pool.map(lambda job: job(), jobs))

    def _deliver_channel(self, key: tuple[str, str], due: list[Due], now: datetime,
                         stopped: Callable[[], bool]) -> DeliveryReport:
        """One channel's due rows, as pacing batches them, one message after another."""
        sub, chan = key
        report = DeliveryReport()
        recipient = self.recipients.get(sub)
        channel = recipient.channel(chan) if recipient else None
        if recipient is None or channel is None:
            batches = [Batch(ALERT, (d.id,)) for d in due]
        elif recipient.digest:
            batches = [Batch(DIGEST, tuple(d.id for d in due))]
        else:
            with self.db.read() as s:
                sent = deliveries.messages_since(s, sub, chan, now - HOUR)
            batches = plan(recipient, due, now, sent)
        for batch in batches:
            if stopped():
                break
            self.send_batch(sub, chan, batch, now, report)
        return report

    def send_digest(self, name: str, now: datetime | None = None) -> DeliveryReport:
        """Send everything pending for subscriber ``name`` as one digest per channel."""
        now = now or utcnow()
        report = DeliveryReport()
        recipient = self.recipients.get(name)
        if recipient is None:
            return report
        for channel in recipient.channels:
            with self.db.read() as s:
                ids = deliveries.claimable_ids(s, name, channel.id, now, self.lease)
            if ids:
                self.send_batch(name, channel.id, Batch(DIGEST, tuple(ids)), now, report)
        return report

    def send_batch(self, sub: str, chan: str, batch: Batch, now: datetime,
                   report: DeliveryReport) -> None:
        """Claim, compose, send and record one message; a crash before the record re-sends it."""
        with self.db.session() as s:
            token, ids = deliveries.claim(s, batch.ids, now, self.lease)
        if not ids:
            return
        recipient = self.recipients.get(sub)
        channel = recipient.channel(chan) if recipient else None
        try:
            message = self._compose(recipient, channel, batch.kind, ids, now)
            error = GONE if channel is None else (
                self.sender(channel, message) if message is not None else None)
        except Exception as exc:  # noqa: BLE001 - e.g. an admin's broken template: retry, log
            log.exception("composing %s message for %s failed", batch.kind, sub)
            error = f"{type(exc).__name__}: {exc}"[:500]
        what = _describe(batch.kind, len(ids))
        label = channel.label if channel else chan
        with self.db.session() as s:
            if error is None:
                report.sent += deliveries.finish_sent(s, token, now)
                report.messages += 1
                log.info("sent %s to %s via %s", what, sub, label)
                return
            failure = deliveries.finish_failed(s, token, error,
                                               partial(self.policy.retry_at, now))
        report.retrying += failure.retrying
        report.failed += failure.failed
        if failure.failed:
            log.error("%s to %s via %s failed for good after %d attempts: %s", what, sub, label,
                      self.policy.max_attempts, error)
        if failure.next_at is not None:
            wait = max(0, round((failure.next_at - now).total_seconds()))
            log.warning("%s to %s via %s failed (attempt %d of %d): %s; next attempt at "
                        "%s UTC (in %ds)", what, sub, label, failure.attempts,
                        self.policy.max_attempts, error,
                        f"{failure.next_at.astimezone(UTC):%H:%M:%S}", wait)

    def _compose(self, recipient: Recipient | None, channel: Channel | None, kind: str,
                 ids: Sequence[int], now: datetime) -> Message | None:
        """The message for claimed rows, fitted to the channel; None when nothing is left to say."""
        if recipient is None or channel is None:
            return None
        limits = limits_for(channel.url)
        with self.db.read() as s:
            rows = deliveries.with_stories(s, ids)
            if kind == ALERT and len(rows) == 1:
                story = rows[0].story
                alert = build_alert(story, story.hits, recipient)
                if alert is None:
                    return None
                return fit(lambda k: self.renderer.render(
                    alert if k is None else replace(alert, hits=alert.hits[:k]), channel.kind),
                    len(alert.hits), limits)
            stories = list({d.story_id: d.story for d in rows}.values())
            digest = build_digest(s, stories, recipient, kind, now)
        if digest is None:
            return None
        return fit(lambda k: self.renderer.render_digest(
            digest if k is None else digest.limited(k), channel.kind), digest.longest, limits)

    def send_test(self, name: str) -> list[tuple[str, str | None]]:
        """Send the sample alert to every channel of ``name``: (channel label, error or None)."""
        recipient = self.recipients[name]
        alert = sample_alert(recipient.timezone)
        results = []
        for channel in recipient.channels:
            results.append((channel.label, self.sender(channel, self._sample(alert, channel))))
        return results

    def _sample(self, alert: Alert, channel: Channel) -> Message:
        """The sample alert for one channel, fitted to its limits."""
        return fit(lambda _k: self.renderer.render(alert, channel.kind), 1,
                   limits_for(channel.url))


def _describe(kind: str, stories: int) -> str:
    """How a log line names a message: "alert", "summary of 12 alerts", "digest of 7 stories"."""
    name = KIND_NAMES.get(kind, kind)
    if kind == ALERT:
        return name
    return f"{name} of {stories} {'alerts' if name == 'summary' else 'stories'}"
