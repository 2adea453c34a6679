"""The three news search providers: their real hosts, query syntax and length limit, and the
exact request each documents (Google News RSS, Bing News RSS, GDELT DOC 2.0)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

from monitor.sources.search.queries import Query, narrowed

EDITION = re.compile(r"[a-z]{2,3}-[A-Z]{2}")
# GDELT filters by language name (its own list); editions of other languages search all.
GDELT_LANGUAGES = {"en": "english", "es": "spanish", "fr": "french", "de": "german",
                   "pt": "portuguese", "it": "italian", "nl": "dutch", "ar": "arabic",
                   "zh": "chinese", "ru": "russian", "ja": "japanese", "ko": "korean"}


@dataclass(frozen=True)
class Provider:
    """One provider: ``max_query`` is the longest query text we send (characters, before
    URL encoding), under the length where it would truncate or refuse it."""

    name: str
    label: str
    base_url: str
    max_query: int

    def render(self, query: Query, edition: str) -> str:
        """The query in the provider's syntax: ("a" OR "b") (c OR d) -"e"."""
        parts = [_group(query.any_of)]
        if query.context:
            parts.append(_group(query.context))
        parts += [f"-{_phrase(e)}" for e in query.exclude]
        if self.name == "gdelt" and (language := GDELT_LANGUAGES.get(edition.split("-")[0])):
            parts.append(f"sourcelang:{language}")
        return " ".join(parts)

    def texts(self, query: Query, edition: str) -> list[str]:
        """The query text, split into several when it is over ``max_query``: exclude phrases
        that do not fit are dropped first (our matcher vetoes them anyway), then names, then
        context words, are halved into queries of their own."""
        text = self.render(query, edition)
        if len(text) <= self.max_query:
            return [text]
        if len(self.render(replace(query, exclude=()), edition)) <= self.max_query:
            return self.texts(replace(query, exclude=query.exclude[:-1]), edition)
        for field in ("any_of", "context"):
            terms = getattr(query, field)
            if len(terms) > 1:
                half = (len(terms) + 1) // 2
                return [t for part in (terms[:half], terms[half:])
                        for t in self.texts(narrowed(query, **{field: part}), edition)]
        return [text]

    def url(self, base_url: str, text: str, edition: str, lookback: float) -> str:
        """The request for ``text`` in ``edition`` (``lookback``: GDELT's timespan, s)."""
        language, _, country = edition.partition("-")
        base = base_url.rstrip("/")
        if self.name == "google-news":
            return f"{base}/rss/search?" + urlencode(
                {"q": text, "hl": edition, "gl": country, "ceid": f"{country}:{language}"},
                quote_via=quote, safe=":")
        if self.name == "bing-news":
            return f"{base}/news/search?" + urlencode(
                {"q": text, "format": "RSS", "setmkt": edition}, quote_via=quote)
        return f"{base}/api/v2/doc/doc?" + urlencode(
            {"query": text, "mode": "ArtList", "format": "json", "maxrecords": "250",
             "timespan": gdelt_timespan(lookback)}, quote_via=quote)


def gdelt_timespan(lookback: float) -> str:
    """``lookback`` seconds in GDELT's minutes; its minimum is 15min."""
    return f"{max(15, math.ceil(lookback / 60))}min"


def lookback(interval: float, slowest: float | None) -> float:
    """How far back a poll searches: the longest adaptive polling may wait between two polls
    (``[polling] max_interval``, else 4 × the interval) plus one interval, so a quiet query
    slowed down still misses nothing."""
    return max(slowest if slowest is not None else 4 * interval, interval) + interval


def _phrase(term: str) -> str:
    return term if re.fullmatch(r"\w+", term) else '"' + term.replace('"', "") + '"'


def _group(terms: tuple[str, ...]) -> str:
    """One term bare; several OR'd inside parentheses (GDELT allows them only there)."""
    if len(terms) == 1:
        return _phrase(terms[0])
    return "(" + " OR ".join(_phrase(t) for t in terms) + ")"


PROVIDERS = {p.name: p for p in (
    Provider("google-news", "Google News", "https://news.google.com", 500),
    Provider("bing-news", "Bing News", "https://www.bing.com", 500),
    Provider("gdelt", "GDELT", "https://api.gdeltproject.org", 250),
)}
