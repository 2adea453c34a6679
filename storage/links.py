"""The one rule for links we store or output: absolute http(s) only."""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http://", "https://")


def web_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None: the only links we
    store or output (``javascript:``, ``data:`` and the like would run in a reader's browser)."""
    if not url or not url[:8].lower().startswith(WEB_SCHEMES):
        return None
    try:
        return url if urlsplit(url).netloc else None
    except ValueError:
        return None
