"""The feed kind: RSS, Atom, RDF and JSON Feed, fetched with a conditional GET."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitor.sources.base import Request, Response, Source, SourceRecord
from monitor.sources.entry import Parsed
from monitor.sources.feed.parser import parse_feed

ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")


class FeedSource(Source):
    """A syndication feed, keyed by its configured URL; it is fetched where it moved to."""

    name = "feed"

    def key(self, url: str, params: Mapping[str, Any]) -> str:
        """A feed is its URL, as it always was."""
        return url

    def request(self, source: SourceRecord) -> Request:
        """GET the feed, unchanged since the last poll's validators allow a 304."""
        headers = {"Accept": ACCEPT}
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
        return Request(source.fetch_url or source.url, headers=headers)

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        """One document, read by the fast path or feedparser."""
        page = pages[0]
        return parse_feed(page.body, page.url, dict(page.headers))


FEED = FeedSource()
