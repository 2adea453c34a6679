"""Links as aggregators give them: the publisher's URL out of a redirect wrapper, and an
aggregator's decorations (" - Outlet" titles) taken off, so the outlet's own copy is found.

Only what can be read from the link itself is unwrapped (no request is made): a wrapper that
carries the target in its query (Google Alerts, Bing News, Facebook…) or an old Google News
article id that encodes it. Opaque ones (t.co, feedproxy, new Google News ids) stay as given.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qs, urlsplit

from storage.links import plain_host, web_link

MAX_DEPTH = 3  # a wrapper wrapping a wrapper (an alert of a Bing link…) is unwrapped this deep

# (host, or "*." + a parent domain; path; the query parameters holding the target, in order)
WRAPPERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("*.google.com", "/url", ("url", "q")),  # Google Alerts, search results, Gmail
    ("news.google.com", "/news/url", ("url",)),  # Google News RSS before 2020
    ("news.google.com", "/__i/rss/rd/articles", ("url",)),
    ("news.url.google.com", "/url", ("url", "q")),
    ("*.bing.com", "/news/apiclick.aspx", ("url",)),  # Bing News RSS
    ("l.facebook.com", "/l.php", ("u",)),
    ("lm.facebook.com", "/l.php", ("u",)),
    ("l.instagram.com", "/", ("u",)),
    ("www.linkedin.com", "/redir/redirect", ("url",)),
    ("www.youtube.com", "/redirect", ("q",)),
    ("out.reddit.com", "*", ("url",)),
    ("slack-redir.net", "/link", ("url",)),
    ("t.umblr.com", "/redirect", ("z",)),
    ("duckduckgo.com", "/l/", ("uddg",)),
    ("*.safelinks.protection.outlook.com", "/", ("url",)),
    ("feeds.feedblitz.com", "*", ("url",)),
)
# hosts whose links name no publisher and cannot be resolved offline
OPAQUE_HOSTS = frozenset({"news.google.com", "t.co", "feedproxy.google.com", "apple.news",
                          "flip.it", "feedly.com"})


# a cheap first look: only a link to one of these domains can be a wrapper
_MAYBE = re.compile(
    r"https?://(?:[^/?#]*\.)?(?:google\.com|bing\.com|facebook\.com|instagram\.com|"
    r"linkedin\.com|youtube\.com|reddit\.com|slack-redir\.net|umblr\.com|duckduckgo\.com|"
    r"outlook\.com|feedblitz\.com)(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        parent = pattern[2:]
        return host == parent or host.endswith("." + parent)
    return host == pattern


def _target(url: str) -> str | None:
    """The URL one wrapper carries, or None when ``url`` is not a known wrapper."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    for pattern, path, names in WRAPPERS:
        if not _host_matches(host, pattern) or path not in ("*", parts.path):
            continue
        query = parse_qs(parts.query)
        for name in names:
            for value in query.get(name, ()):
                if web_link(value.strip()):
                    return value.strip()
    if host == "news.google.com":
        return google_news_target(parts.path)
    return None


def unwrap(url: str | None) -> str | None:
    """The publisher's URL inside an aggregator's redirect link; ``url`` itself otherwise."""
    if not url or not _MAYBE.match(url):
        return url
    for _ in range(MAX_DEPTH):
        inner = _target(url)
        if inner is None:
            break
        url = inner
    return url


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 35:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("truncated varint")


def google_news_target(path: str) -> str | None:
    """The publisher URL an old-style Google News article id encodes (a protobuf whose field 4
    is the URL); None for the newer encrypted ids ("AU_yqL…"), which need Google to resolve."""
    parts = path.rstrip("/").split("/")
    if "articles" not in parts[:-1]:
        return None
    token = parts[parts.index("articles") + 1]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if not raw.startswith(b"\x08\x13\x22"):
            return None
        length, start = _varint(raw, 3)
        url = raw[start:start + length].decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if len(url.encode()) != length or url.startswith("AU_yqL"):
        return None
    return web_link(url)


def is_opaque(url: str | None) -> bool:
    """A link that names the aggregator, not the publisher (a Google News article id…)."""
    if not url:
        return False
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in OPAQUE_HOSTS


def host_of(url: str | None) -> str | None:
    """A site's host as outlets are compared: lower case, without a leading ``www.``."""
    if not url:
        return None
    url = url.strip()
    host = plain_host(url)
    if host is not None:
        return host.lower().removeprefix("www.") or None
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def without_outlet(title: str, summary: str, outlet: str | None) -> tuple[str, str]:
    """Title and summary without the aggregator's outlet suffix: Google News titles read
    "Headline - Outlet", and its description only repeats headline and outlet."""
    if not outlet:
        return title, summary
    suffix = f" - {outlet}"
    if title.endswith(suffix) and len(title) > len(suffix):
        title = title[: -len(suffix)].rstrip()
    if summary and " ".join(summary.split()) in (f"{title} {outlet}", title):
        summary = ""
    return title, summary
