"""Send queued change alerts (one per new version per channel), retried like other alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from monitor.evidence.changes import Change
from notifiers.changes import ChangeNote
from notifiers.channels import Recipient
from notifiers.messages import Renderer
from notifiers.outbox import GONE, RetryPolicy, Sender
from notifiers.sender import send
from storage import Database
from storage import evidence as store
from storage.evidence import DueChange

log = logging.getLogger(__name__)
LIMIT = 200
LEASE = timedelta(minutes=5)  # a change alert whose sender died is sent again after this


def never(_attempts: int) -> datetime | None:
    """No retry: the subscriber or channel left the config."""
    return None


def quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """When the subscriber's quiet hours end, if ``now`` is inside them (else None)."""
    window = recipient.quiet_hours
    local = now.astimezone(recipient.tz)
    if window is None or not window.contains(local):
        return None
    return window.last_end(local) + timedelta(days=1)


def note_for(due: DueChange, title: str, archive: str | None) -> ChangeNote:
    """What the message says about one new version."""
    change = Change.from_json(due.new.change) or Change("edited")
    return ChangeNote(title=title or change.old_title or "(untitled)", link=due.link,
                      kind=change.kind, summary=change.summary, old_title=change.old_title,
                      new_title=change.new_title, diff=change.diff, status=change.status,
                      final_url=change.final_url, version=due.new.version, archive=archive)


def send_change_alerts(db: Database, recipients: Sequence[Recipient], now: datetime,
                       policy: RetryPolicy, renderer: Renderer | None = None,
                       sender: Sender = send) -> int:
    """Send every due change alert; returns how many were sent."""
    renderer = renderer or Renderer()
    by_name = {r.name: r for r in recipients}
    sent = 0
    with db.read() as s:
        due = store.due_change_alerts(s, now, LIMIT)
        titles = {d.story_id: store.story_title(s, d.story_id) for d in due}
        archives = store.archive_urls(s, titles)
    for d in due:
        with db.session() as s:
            if not store.claim_change_alert(s, d.id, now, LEASE):
                continue
        recipient = by_name.get(d.subscriber)
        if recipient is not None and (held := quiet_until(recipient, now)) is not None:
            with db.session() as s:
                store.postpone_change_alert(s, d.id, held)
            continue
        channel = recipient.channel(d.channel) if recipient else None
        retry: Callable[[int], datetime | None] = partial(policy.retry_at, now)
        if channel is None:
            error: str | None = GONE
            retry = never
        else:
            message = renderer.render_change(note_for(d, titles[d.story_id],
                                                      archives.get(d.story_id)), channel.kind)
            error = sender(channel, message)
        with db.session() as s:
            state = store.finish_change_alert(s, d.id, error, now, retry)
        if state == "sent":
            sent += 1
            log.info("sent change alert for story %d to %s", d.story_id, d.subscriber)
        else:
            log.warning("change alert for story %d to %s: %s (%s)", d.story_id, d.subscriber,
                        error, state)
    return sent

