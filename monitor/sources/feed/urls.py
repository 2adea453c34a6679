"""Feed URLs: what one must be for the feed source to fetch it (`monitor check` asks here), and
resolving an entry's link against its base without urllib's cost when it is already absolute."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

# an absolute http(s) URL that urljoin returns unchanged whatever the base: lower-case scheme, a
# plain host, no path parameters, no empty query or fragment, nothing urlsplit strips or splits
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(?:/[^\x00-\x20\x7f?#;]*)?"
    r"(?:\?[^\x00-\x20\x7f#]+)?(?:#[^\x00-\x20\x7f]+)?\Z")


def feed_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable feed URL, or None when it is fine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"feed url must start with http:// or https://, got {url!r}"
    if not parts.hostname:
        return f"feed url has no host: {url!r}"
    return None


def is_plain_absolute(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL that joining to any base leaves as it is: most
    entry links are, and urljoin costs ~15 µs each (a fifth of parsing a feed)."""
    return _PLAIN_ABSOLUTE.match(url) is not None


def join(base: str, url: str) -> str:
    """``urljoin(base, url)``, skipping the work when ``url`` is plainly absolute."""
    return url if is_plain_absolute(url) else urljoin(base, url)
