"""Send queued change alerts (one per new version per channel), retried like other alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.evidence.changes import Change
from notifiers.changes import ChangeNote
from notifiers.channels import Channel, Recipient
from notifiers.ledger_send import Row, send_rows
from notifiers.messages import Message, Renderer
from notifiers.outbox import RetryPolicy, Sender
from notifiers.sender import send
from storage import Database
from storage import evidence as store
from storage.evidence import DueChange
from storage.models import ChangeAlert

LIMIT = 200


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
    """Send every due change alert (claimed first: never twice); returns how many were sent."""
    renderer = renderer or Renderer()
    by_name = {r.name: r for r in recipients}
    with db.read() as s:
        due = store.due_change_alerts(s, now, LIMIT)
        titles = {d.story_id: store.story_title(s, d.story_id) for d in due}
        archives = store.archive_urls(s, titles)
    rows = {d.id: d for d in due}

    def render(row: Row, channel: Channel) -> Message:
        d = rows[row.id]
        note = note_for(d, titles[d.story_id], archives.get(d.story_id))
        return renderer.render_change(note, channel.kind)

    states = send_rows(db, ChangeAlert, [Row(d.id, d.subscriber, d.channel,
                                             f"change alert for story {d.story_id}")
                                         for d in due],
                       by_name, now, policy, render, sender)
    return states["sent"]
