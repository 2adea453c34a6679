"""The search sources the config asks for: every ``[[search]]`` × its watchlists' queries ×
its editions, each with its identity, parameters and name, made once per config and
watchlist version."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.config.search import SearchConfig
from monitor.config.watchlists import Watchlist
from monitor.sources.base import ConfiguredSource
from monitor.sources.search.kinds import SEARCH_KINDS
from monitor.sources.search.providers import PROVIDERS, lookback
from monitor.sources.search.queries import watchlist_queries


def _specs(searches: tuple[SearchConfig, ...], watchlists: tuple[Watchlist, ...],
           slowest: float | None) -> tuple[ConfiguredSource, ...]:
    specs: dict[str, ConfiguredSource] = {}
    for search in searches:
        provider, kind = PROVIDERS[search.provider], SEARCH_KINDS[search.provider]
        chosen = [w for w in watchlists if not search.watchlists or w.name in search.watchlists]
        queries = watchlist_queries(chosen)
        for edition in search.editions:
            seen: dict[str, int] = {}
            for query in queries:
                for text in provider.texts(query, edition):
                    identity = {"base_url": search.endpoint, "query": text,
                                "edition": edition if search.provider != "gdelt"
                                else edition.split("-")[0]}
                    key = kind.key(provider.url(search.endpoint, "", edition, 0).split("?")[0],
                                   identity)
                    if key in specs:
                        continue
                    seen[query.entity] = seen.get(query.entity, 0) + 1
                    suffix = f" [{seen[query.entity]}]" if seen[query.entity] > 1 else ""
                    params = {**identity, "edition": edition, "interval": search.interval,
                              "lookback": lookback(search.interval, slowest),
                              "watchlist": query.watchlist, "entity": query.entity}
                    specs[key] = ConfiguredSource(key, kind.name, params,
                                            f"{provider.label} {edition}: {query.entity}{suffix}",
                                            search.interval)
    return tuple(specs.values())


def search_sources(searches: Sequence[SearchConfig], watchlists: Sequence[Watchlist],
                   slowest: float | None = None) -> tuple[ConfiguredSource, ...]:
    """Every configured search source, without repeats (GDELT has no country editions: two
    editions of one language are one GDELT source); ``slowest``: ``[polling] max_interval``.
    Made once per config version (``Runtime.search_sources``)."""
    return _specs(tuple(searches), tuple(watchlists), slowest)
