"""Spike alerts: what one says (entity, count against usual, top stories and outlets) and
sending the pending ones through the outbox's sender, retried with its policy, never twice."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apprise import NotifyFormat

from monitor.service.runtime import Runtime
from notifiers.channels import Recipient
from notifiers.messages import Message, md_escape
from storage.models import Spike, utcnow
from storage.trends import defer_spike_alert, due_spike_alerts, mark_spike_alert

log = logging.getLogger(__name__)

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
    fmt = NotifyFormat.MARKDOWN if kind in MARKDOWN_KINDS else NotifyFormat.TEXT
    return Message(title=title, body="\n".join(lines), body_format=fmt)


def quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """When the subscriber's quiet hours end, if ``now`` is inside them; else None."""
    quiet = recipient.quiet_hours
    local = now.astimezone(recipient.tz)
    if quiet is None or not quiet.contains(local):
        return None
    return quiet.last_end(local) + timedelta(days=1)


def send_spike_alerts(rt: Runtime, should_stop: Callable[[], bool] | None = None
                      ) -> SpikeReport:
    """Send every due spike alert once; a failure is retried by the delivery policy, a
    subscriber or channel gone from the config fails the row. Quiet hours hold a spike alert
    until they end; digest subscribers get it at once (a burst is news now)."""
    report = SpikeReport()
    outbox = rt.outbox
    now = utcnow()
    with rt.db.read() as s:
        due = due_spike_alerts(s, now)
    for alert, spike in due:
        if should_stop is not None and should_stop():
            break
        recipient = outbox.recipients.get(alert.subscriber)
        channel = recipient.channel(alert.channel) if recipient else None
        error: str | None
        held = quiet_until(recipient, now) if recipient and channel else None
        if held is not None:
            with rt.db.session() as s:
                defer_spike_alert(s, alert.id, held)
            continue
        if channel is None:
            error, retry_at = "subscriber or channel is no longer in the config", None
        else:
            error = outbox.sender(channel, spike_message(spike, channel.kind))
            retry_at = outbox.policy.retry_at(now, alert.attempts + 1) if error else None
        with rt.db.session() as s:
            mark_spike_alert(s, alert.id, error, retry_at)
        if error is None:
            report.sent += 1
        elif retry_at is None:
            report.failed += 1
            log.warning("spike alert %d for %s failed for good: %s", alert.id, alert.subscriber,
                        error)
        else:
            report.retrying += 1
    return report
