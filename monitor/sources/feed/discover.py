"""Finding a site's feeds for ``monitor feeds add``: the URL itself when it is a feed, else
the page's ``<link rel="alternate">`` feeds, else the common paths (/feed, /rss…).

Every candidate is fetched and parsed before it is offered, so only a working feed is added.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from lxml import etree, html

from monitor.sources.feed.parser import parse_feed
from monitor.sources.feed.urls import feed_url_problem
from storage.errors import MonitorError

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/json", "application/rdf+xml", "application/xml", "text/xml")
COMMON_PATHS = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml")
MAX_CANDIDATES = 10
MAX_REDIRECTS = 5


class DiscoveryError(MonitorError):
    """The URL is unusable or names no feed (the message says which)."""


@dataclass(frozen=True)
class Candidate:
    """A working feed found for the URL given, with its title."""

    url: str
    title: str


@dataclass(frozen=True)
class Fetcher:
    """How discovery fetches: the monitor's User-Agent, deadline and size cap."""

    user_agent: str
    timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024


async def _get(session: aiohttp.ClientSession, url: str, fetcher: Fetcher
               ) -> tuple[str, bytes, dict[str, str]] | None:
    """(final URL, body, headers) of a 200 answer, or None for any failure."""
    try:
        async with session.get(url, max_redirects=MAX_REDIRECTS) as resp:
            if resp.status != 200:
                return None
            body = await resp.content.read(fetcher.max_bytes + 1)
            if len(body) > fetcher.max_bytes:
                return None
            return str(resp.url), body, {k.lower(): v for k, v in resp.headers.items()}
    except (TimeoutError, aiohttp.ClientError, ValueError):
        return None


def _as_feed(url: str, body: bytes, headers: dict[str, str]) -> Candidate | None:
    parsed = parse_feed(body, url, headers)
    if parsed.error is not None:
        return None
    return Candidate(url, parsed.title or urlsplit(url).netloc)


def alternate_links(page_url: str, body: bytes) -> list[tuple[str, str]]:
    """(absolute URL, title) of the page's ``<link rel="alternate">`` feeds, in page order."""
    try:
        doc = html.fromstring(body, base_url=page_url)
    except (etree.ParserError, ValueError):
        return []
    base = page_url
    for node in doc.iter("base"):
        if node.get("href"):
            base = urljoin(page_url, node.get("href", "").strip())
            break
    found: dict[str, str] = {}
    for node in doc.iter("link"):
        rels = (node.get("rel") or "").lower().split()
        kind = (node.get("type") or "").lower().split(";")[0].strip()
        href = (node.get("href") or "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            url = urljoin(base, href)
            if feed_url_problem(url) is None:
                found.setdefault(url, (node.get("title") or "").strip())
    return list(found.items())[:MAX_CANDIDATES]


async def _discover(url: str, fetcher: Fetcher) -> list[Candidate]:
    timeout = aiohttp.ClientTimeout(total=fetcher.timeout)
    async with aiohttp.ClientSession(headers={"User-Agent": fetcher.user_agent},
                                     timeout=timeout) as session:
        got = await _get(session, url, fetcher)
        if got is None:
            raise DiscoveryError(f"cannot fetch {url}: no answer, or not a 200")
        final, body, headers = got
        feed = _as_feed(final, body, headers)
        if feed is not None:
            return [Candidate(url, feed.title)]
        alternates = alternate_links(final, body)
        found = await _checked(session, alternates, fetcher) if alternates else []
        if found:
            return found
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(final))  # none, or none answered
        return await _checked(session, [(origin + path, "") for path in COMMON_PATHS], fetcher)


async def _checked(session: aiohttp.ClientSession, links: list[tuple[str, str]],
                   fetcher: Fetcher) -> list[Candidate]:
    """The links that answer with a feed, titled by the page's link or else the feed."""
    answers = await asyncio.gather(*(_get(session, link, fetcher) for link, _ in links))
    found: list[Candidate] = []
    for (link, title), got in zip(links, answers, strict=True):
        feed = _as_feed(*got) if got is not None else None
        if feed is not None and all(c.url != link for c in found):
            found.append(Candidate(link, title or feed.title))
    return found


def discover(url: str, fetcher: Fetcher) -> list[Candidate]:
    """The feeds ``url`` leads to (itself when it is one); DiscoveryError when there are none."""
    try:
        problem = feed_url_problem(url)
    except ValueError as exc:  # urlsplit: "http://[bad" and the like
        problem = f"not a URL: {url!r} ({exc})"
    if problem:
        raise DiscoveryError(problem)
    found = asyncio.run(_discover(url, fetcher))
    if not found:
        raise DiscoveryError(
            f"no feed found at {url}: the page links to none (<link rel=\"alternate\">) and "
            f"none answers at {', '.join(COMMON_PATHS)}")
    return found
