"""``[[search]]``: which providers search the news for which watchlists, in which editions and
how often; each key declared once, checked at its line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from monitor.config.problems import did_you_mean
from monitor.config.schema import Refused, Spot, duration, key, string
from monitor.sources.search.providers import EDITION, PROVIDERS

DEFAULT_SEARCH_INTERVAL = 1800.0
MIN_SEARCH_INTERVAL = 300.0  # search engines throttle callers who ask more often


def provider_name(value: Any, spot: Spot) -> str | None:
    """One of the providers we know."""
    name = string(value, spot)
    if name is not None and name not in PROVIDERS:
        raise Refused(f"unknown search provider {name!r}{did_you_mean(name, set(PROVIDERS))} "
                      f"(use {', '.join(PROVIDERS)})")
    return name


def search_watchlists(value: Any, spot: Spot) -> tuple[str, ...]:
    """The watchlists searched for, each one known; absent: every watchlist."""
    if value is None or value == ():  # absent: the default
        return ()
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v for v in value):
        raise Refused("watchlists must be a non-empty list of watchlist names "
                      "(leave it out to search for every watchlist)")
    known = spot.reader.known_watchlists
    for name in value:
        if known is not None and name not in known:
            spot.error(f"[[search]] names unknown watchlist {name!r}{did_you_mean(name, known)}")
    return tuple(dict.fromkeys(value))


def editions(value: Any, spot: Spot) -> tuple[str, ...]:
    """language-COUNTRY codes, e.g. "en-US", "es-US"."""
    if isinstance(value, tuple):  # absent: the default
        return value
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Refused('editions must be a non-empty list like ["en-US", "es-US"]')
    for edition in value:
        if not EDITION.fullmatch(edition):
            raise Refused(f"edition {edition!r} is not language-COUNTRY (e.g. \"en-US\", "
                          "\"es-US\", \"fr-FR\")")
    return tuple(dict.fromkeys(value))


def search_interval(value: Any, spot: Spot) -> float | None:
    """A duration of at least 5 minutes."""
    seconds = duration(value, spot)
    if seconds is not None and seconds < MIN_SEARCH_INTERVAL:
        raise Refused(f"interval must be at least 5m for a search (got {value!r}): providers "
                      "throttle callers who ask more often")
    return seconds


def search_base_url(value: Any, spot: Spot) -> str | None:
    """An http(s) URL without query or fragment; absent: the provider's real host."""
    url = string(value, spot)
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise Refused(f"base_url must be an http:// or https:// URL without query or fragment, "
                      f"got {url!r}")
    return url.rstrip("/")


@dataclass(frozen=True)
class SearchConfig:
    """One ``[[search]]`` table; ``watchlists`` empty means every watchlist."""

    provider: str = key(provider_name, required=True)
    watchlists: tuple[str, ...] = key(search_watchlists, ())
    editions: tuple[str, ...] = key(editions, ("en-US",))
    interval: float = key(search_interval, DEFAULT_SEARCH_INTERVAL)
    base_url: str | None = key(search_base_url, None)

    @property
    def endpoint(self) -> str:
        """Where requests go: ``base_url``, else the provider's real host."""
        return self.base_url or PROVIDERS[self.provider].base_url
