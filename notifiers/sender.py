"""Send one message to one channel through apprise and report why it failed, secrets redacted."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise

from notifiers.channels import Channel
from notifiers.messages import Message

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds a target may take to answer ([delivery] timeout)
MIN_SECRET_PART = 4
_SECRET_KEY = re.compile(r"key|token|secret|pass|pwd|auth|sig|session|code", re.IGNORECASE)
_DELIMITERS = re.compile(r"[/?&=@#]|:(?!\d+(?:[/?#]|$))")  # a port stays one piece


def _pieces(url: str) -> set[str]:
    return {p for p in _DELIMITERS.split(url) if p}


def _masked_by_apprise(url: str) -> set[str]:
    """The parts of ``url`` that apprise itself hides in its privacy form (tokens,
    passwords), per service: what differs between ``url()`` and ``url(privacy=True)``.
    A URL apprise cannot read: every longer piece of it, to be safe."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    try:
        return _pieces(plugin.url(privacy=False)) - _pieces(plugin.url(privacy=True))
    except Exception:  # noqa: BLE001 - not instantiable, or cannot print itself
        return {p for p in _pieces(url.split("://", 1)[-1]) if len(p) >= 6}


def secret_parts(url: str) -> list[str]:
    """The secrets inside a notify URL: what apprise masks, passwords, and the values of query
    keys such as key/token/secret/password. Plain words (hosts, paths such as ``/digest``)
    are not secrets. A string that is not a URL (the HTTP token) is a secret as a whole.

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
        pieces = _masked_by_apprise(url)
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
