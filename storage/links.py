"""The one rule for links we store or output: absolute http(s) only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WEB_SCHEMES = ("http://", "https://")
# an absolute http(s) URL that urljoin returns unchanged whatever the base: lower-case scheme, a
# plain host, no path parameters, no empty query or fragment, nothing urlsplit strips or splits
_PLAIN_ABSOLUTE = re.compile(
    r"https?://(?P<host>[A-Za-z0-9.\-]+)(?::[0-9]+)?(?:/[^\x00-\x20\x7f?#;]*)?"
    r"(?:\?[^\x00-\x20\x7f#]+)?(?:#[^\x00-\x20\x7f]+)?\Z")


def plain_host(url: str) -> str | None:
    """The host of ``url`` as written when it is a plainly absolute http(s) URL (see
    ``is_plain_absolute``), else None: most links are, and urlsplit costs ~10 µs each."""
    match = _PLAIN_ABSOLUTE.match(url)
    return match.group("host") if match else None


def is_plain_absolute(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL that joining to any base leaves as it is."""
    return _PLAIN_ABSOLUTE.match(url) is not None


def web_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None: the only links we
    store or output (``javascript:``, ``data:`` and the like would run in a reader's browser)."""
    if not url or not url[:8].lower().startswith(WEB_SCHEMES):
        return None
    if is_plain_absolute(url):
        return url
    try:
        return url if urlsplit(url).netloc else None
    except ValueError:
        return None
