"""Spike alerts: what one says (entity, count against usual, top stories and outlets) and
sending the pending ones through the outbox's sender and the shared ledger loop (claimed
first, retried with the outbox's policy, never twice)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from monitor.service.runtime import Runtime
from notifiers.channels import Channel
from notifiers.ledger_send import Row, send_rows
from notifiers.messages import Message, md_escape
from storage.models import Spike, SpikeAlert, utcnow
from storage.trends import due_spike_alerts

MARKDOWN_KINDS = {"markdown", "slack"}


@dataclass
class SpikeReport:
    """What one pass over the pending spike alerts did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def spike_message(spike: Spike, kind: str) -> Message:
    """A spike alert for a target of ``kind``; feed text is escaped for Markdown targets and
    sent as plain text to the others (apprise escapes it for HTML e-mail)."""
    esc = md_escape if kind in MARKDOWN_KINDS else str
    who = spike.entity if spike.entity.casefold() == spike.watchlist.casefold() \
        else f"{spike.entity} ({spike.watchlist})"
    per = "hour" if spike.series == "hour" else "day"
    title = f"Spike: {who}, {spike.count} stories against {spike.usual:g} usual"
    lines = [f"{esc(who)}: {spike.count} stories in a {per} from {spike.start:%Y-%m-%d %H:%M} "
             f"UTC, against {spike.usual:g} usual for that many stories.", "", "Top stories:"]
    for story in json.loads(spike.stories):
        outlets = ", ".join(story["outlets"])
        line = f"- {esc(story['title'] or '(untitled)')}"
        if outlets:
            line += f" ({esc(outlets)})"
        if story.get("link"):
            line += f" {story['link']}"
        lines.append(line)
    outlets = json.loads(spike.outlets)
    if outlets:
        lines += ["", "Outlets: " + ", ".join(f"{esc(o['name'])} ({o['stories']})"
                                              for o in outlets)]
    fmt = "markdown" if kind in MARKDOWN_KINDS else "text"  # apprise.NotifyFormat values
    return Message(title=title, body="\n".join(lines), body_format=fmt)


def send_spike_alerts(rt: Runtime, should_stop: Callable[[], bool] | None = None
                      ) -> SpikeReport:
    """Send every due spike alert once, claimed first (a daemon and a manual ``poll-once``
    never both send it); a failure is retried by the delivery policy, a subscriber or channel
    gone from the config fails the row. Quiet hours hold a spike alert until they end; digest
    subscribers get it at once (a burst is news now)."""
    outbox = rt.outbox
    now = utcnow()
    with rt.db.read() as s:
        due = due_spike_alerts(s, now)
    spikes = {alert.id: spike for alert, spike in due}

    def render(row: Row, channel: Channel) -> Message:
        return spike_message(spikes[row.id], channel.kind)

    rows = [Row(a.id, a.subscriber, a.channel, f"spike alert {a.id} ({sp.entity})")
            for a, sp in due]
    states = send_rows(rt.db, SpikeAlert, rows, outbox.recipients, now, outbox.policy, render,
                       outbox.sender, should_stop)
    return SpikeReport(sent=states["sent"], retrying=states["pending"], failed=states["failed"])
