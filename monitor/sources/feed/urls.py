"""What a feed URL must be for the feed source to fetch it; `monitor check` asks here."""

from __future__ import annotations

from urllib.parse import urlsplit


def feed_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable feed URL, or None when it is fine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"feed url must start with http:// or https://, got {url!r}"
    if not parts.hostname:
        return f"feed url has no host: {url!r}"
    return None
