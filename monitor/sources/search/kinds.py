"""The search source kinds (google-news, bing-news, gdelt): one stored source per query and
edition, its request built from its parameters, its answer read by ``parse``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from monitor.config.search import MIN_SEARCH_INTERVAL
from monitor.sources.base import Politeness, Request, Response, Source, SourceRecord
from monitor.sources.entry import Parsed
from monitor.sources.search.parse import parse_gdelt, parse_rss
from monitor.sources.search.providers import PROVIDERS, Provider, lookback

ACCEPT_RSS = "application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


class SearchSource(Source):
    """A provider's search for one query in one edition. Params: ``base_url``, ``query``
    (the provider's syntax), ``edition``, ``interval`` and ``lookback`` (s; GDELT's
    timespan), and the watchlist and entity it was made for."""

    provider: ClassVar[Provider]
    accept: ClassVar[str] = ACCEPT_RSS
    min_poll_interval = MIN_SEARCH_INTERVAL

    def request(self, source: SourceRecord) -> Request:
        """GET the search, as the provider documents it."""
        p = source.params
        back = float(p.get("lookback") or lookback(float(p["interval"]), None))
        return Request(self.provider.url(p["base_url"], p["query"], p["edition"], back),
                       headers={"Accept": self.accept})

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        """The provider's RSS."""
        return parse_rss(pages[0].body, self.name)


class GoogleNews(SearchSource):
    name = "google-news"
    provider = PROVIDERS[name]
    politeness = Politeness(per_host=2, min_interval=1.0, group=name)


class BingNews(SearchSource):
    name = "bing-news"
    provider = PROVIDERS[name]
    politeness = Politeness(per_host=2, min_interval=1.0, group=name)


class Gdelt(SearchSource):
    """GDELT DOC 2.0: at most one request every 5 s from this process, all queries together
    (GDELT's published limit), started 5.5 s apart so network jitter never brings two
    arrivals closer than 5 s."""

    name = "gdelt"
    provider = PROVIDERS[name]
    politeness = Politeness(per_host=1, min_interval=5.5, group=name)
    accept = "application/json"

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        """The ArtList JSON, or GDELT's plain-text refusal as this query's error."""
        return parse_gdelt(pages[0].body)


GOOGLE_NEWS = GoogleNews()
BING_NEWS = BingNews()
GDELT = Gdelt()
SEARCH_KINDS = {k.name: k for k in (GOOGLE_NEWS, BING_NEWS, GDELT)}
