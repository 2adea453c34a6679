"""Send one message to one channel through apprise and report why it failed, secrets redacted."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import parse_qsl, unquote, urlsplit

from notifiers.channels import DEFAULT_TIMEOUT, Channel
from notifiers.messages import Message

log = logging.getLogger(__name__)

MIN_SECRET_PART = 4
_SECRET_KEY = re.compile(r"key|token|secret|pass|pwd|auth|sig|session|code", re.IGNORECASE)
_DELIMITERS = re.compile(r"[/?&=@#]|:(?!\d+(?:[/?#]|$))")  # a port stays one piece
_WEBHOOK_SCHEMES = {"json", "jsons", "xml", "xmls", "form", "forms"}
_NTFY_SCHEMES = {"ntfy", "ntfys"}
_WORD = re.compile(r"[a-z]{1,15}(?:[.\-_][a-z]{1,15})*")
MIN_NTFY_TOPIC = 8


def _pieces(url: str) -> set[str]:
    return {p for p in _DELIMITERS.split(url) if p}


def looks_like_token(piece: str) -> bool:
    """What generated tokens look like: 8+ characters with a digit, or 16+ mixing case or
    digits. Words and names such as ``digest`` or ``services`` do not."""
    classes = sum(any(test(c) for c in piece) for test in (str.islower, str.isupper, str.isdigit))
    has_digit = any(c.isdigit() for c in piece)
    return (len(piece) >= 8 and has_digit) or (len(piece) >= 16 and classes >= 2)


def _in_the_path(plugin, scheme: str) -> set[str]:
    """Tokens of services that take them in the path without apprise knowing it: generic
    webhooks (a Slack-compatible ``/services/T…/B…/X…``) and ntfy topics, which are the
    credential on a public server (long ones are meant to be unguessable)."""
    if scheme in _NTFY_SCHEMES:
        return {t for t in plugin.topics if len(t) >= MIN_NTFY_TOPIC or looks_like_token(t)}
    if scheme in _WEBHOOK_SCHEMES:
        split = urlsplit(plugin.url(privacy=False))
        values = (v for _, v in parse_qsl(split.query))
        return {p for p in (*split.path.split("/"), *values) if looks_like_token(p)}
    return set()


def _unreadable(url: str) -> set[str]:
    """A URL apprise cannot read: which piece is the credential is unknown, so all of it after
    ``://`` and every piece that is not a short lower-case word or host name (a token has
    digits, capitals or long letter runs) is secret; hosts and words such as ``incoming``
    hold nothing to leak and keep a failure readable."""
    rest = url.split("://", 1)[-1]
    return {rest} | {p for p in _pieces(rest) if not _WORD.fullmatch(p)}


def _masked(url: str, scheme: str) -> set[str]:
    """What apprise itself hides in its privacy form (what differs between ``url()`` and
    ``url(privacy=True)``), plus the tokens it leaves in the path."""
    import apprise  # its plugins load on first use (see notifiers.urls)

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return _unreadable(url)
    try:
        hidden = _pieces(plugin.url(privacy=False)) - _pieces(plugin.url(privacy=True))
        return hidden | _in_the_path(plugin, scheme)
    except Exception:  # noqa: BLE001 - a plugin that cannot print itself
        return _unreadable(url)


def secret_parts(url: str) -> list[str]:
    """The secrets inside a notify URL: what apprise masks, passwords, the values of query
    keys such as key/token/secret/password, and token-like path parts of generic webhooks and
    ntfy topics. Plain words (hosts, paths such as ``/digest``) are not secrets. A string that
    is not a URL (the HTTP token, the database password) is a secret as a whole.

    apprise rewrites URLs before logging them (slack://A/B/C becomes
    https://hooks.slack.com/services/A/B/C), so the pieces are redacted, not just the URL.
    """
    try:
        split = urlsplit(url)
    except ValueError:
        return [url]
    if not split.scheme or "://" not in url:
        return [url]
    with apprise_said():
        pieces = _masked(url, split.scheme.lower())
    pieces.add(split.password or "")
    pieces.update(v for k, v in parse_qsl(split.query) if _SECRET_KEY.search(k))
    parts = {p for piece in pieces for p in (piece, unquote(piece))}
    return sorted((p for p in parts if len(p) >= MIN_SECRET_PART), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret (a token inside a notify URL) in ``text`` with a placeholder."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "[redacted]")
    return text


_said: ContextVar[list[str] | None] = ContextVar("apprise_said", default=None)


class _DivertToSend(logging.Filter):
    """During a send, apprise's messages go to that send's failure reason (apprise carries
    context into its worker threads), not to the log as lines of their own."""

    def filter(self, record: logging.LogRecord) -> bool:
        said = _said.get()
        if said is None:
            return True
        if record.levelno >= logging.WARNING:
            said.append(record.getMessage().strip())
        return False


_APPRISE_LOG = logging.getLogger("apprise")
_APPRISE_LOG.addFilter(_DivertToSend())


@contextmanager
def apprise_said() -> Iterator[list[str]]:
    """apprise's warnings in this context (a send, a URL check) during the block, without its
    timestamps and kept out of the log; unlike disabling apprise's logger, other threads'
    sends still report why they failed."""
    said: list[str] = []
    token = _said.set(said)
    try:
        yield said
    finally:
        _said.reset(token)


def _with_timeout(plugin, url: str, timeout: float) -> None:
    """Let a slow target answer: apprise gives up after 4 s unless the URL sets rto/cto."""
    given = {k.lower() for k, _ in parse_qsl(urlsplit(url).query)}
    if "rto" not in given:
        plugin.socket_read_timeout = timeout
    if "cto" not in given:
        plugin.socket_connect_timeout = timeout


def send(channel: Channel, message: Message, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Deliver ``message`` within ``timeout`` seconds; None on success, else a log-safe reason
    in apprise's words (HTTP errors count)."""
    import apprise  # its plugins load on first use (see notifiers.urls)

    with apprise_said() as said:
        plugin = apprise.Apprise.instantiate(channel.url, suppress_exceptions=True)
        if not plugin:
            return f"apprise rejected the {channel.scheme}:// URL"
        _with_timeout(plugin, channel.url, timeout)
        ap = apprise.Apprise()
        ap.add(plugin)
        ok = ap.notify(title=message.title, body=message.body, body_format=message.body_format)
    if ok:
        return None
    details = " ".join(dict.fromkeys(line for line in said if line))
    return redact(details or "apprise reported a failed delivery", secret_parts(channel.url))[:500]
