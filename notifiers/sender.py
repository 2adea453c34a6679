"""Send one message to one channel through apprise and report why it failed, secrets redacted."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise

from notifiers.channels import Channel
from notifiers.messages import Message

log = logging.getLogger(__name__)


MIN_SECRET_PART = 6


def secret_parts(url: str) -> list[str]:
    """The URL and every piece of it that may be a token: userinfo, path segments, query values.

    apprise rewrites URLs before logging them (slack://A/B/C becomes
    https://hooks.slack.com/services/A/B/C), so whole-URL redaction is not enough.
    """
    parts = [url]
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    host = split.netloc.rsplit("@", 1)[-1].split(":")[0]
    token_host = host if host and "." not in host else None  # slack://TokenA/..., tgram://bot
    pieces = [split.username, split.password, token_host]
    pieces += split.path.split("/")
    pieces += [value for _key, value in parse_qsl(split.query)]
    parts += [unquote(p) for p in pieces if p and len(p) >= MIN_SECRET_PART]
    parts += [p for p in pieces if p and len(p) >= MIN_SECRET_PART]
    return sorted(set(parts), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret (a notify URL or a token inside one) in ``text`` with a placeholder."""
    for secret in secrets:
        if secret and secret in text:
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
    return redact(details or "apprise reported a failed delivery", secret_parts(channel.url))[:500]
