"""Send one message to one channel through apprise and report why it failed, secrets redacted."""

from __future__ import annotations

import logging

import apprise

from notifiers.channels import Channel
from notifiers.messages import Message

log = logging.getLogger(__name__)


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret (a notify URL) in ``text`` with a placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def send(channel: Channel, message: Message) -> str | None:
    """Deliver ``message``; None on success, else a log-safe reason (HTTP errors count)."""
    ap = apprise.Apprise()
    if not ap.add(channel.url):
        return f"apprise rejected the {channel.scheme}:// URL"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = ap.notify(title=message.title, body=message.body, body_format=message.body_format)
    if ok:
        return None
    details = " ".join(line.strip() for line in captured.getvalue().splitlines() if line.strip())
    return redact(details or "apprise reported a failed delivery", [channel.url])[:500]
