"""The ``[[records]]`` entries as stored sources: each provider's parameters (USAspending's
recipients default to the watchlists' names), stored with the other configured sources by
``storage.sources.sync_sources`` (``Runtime.configured_sources``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.config.records import DEFAULT_RECORDS_INTERVAL, RecordsConfig
from monitor.config.watchlists import Watchlist
from monitor.sources import source_kind
from monitor.sources.base import ConfiguredSource

KINDS = ("usaspending", "edgar", "federal-register")
MIN_RECIPIENT_CHARS = 4  # "GEO", "AWS": acronyms match too much as recipient search text


def watchlist_recipients(watchlists: Sequence[Watchlist]) -> list[str]:
    """Every entity's name and alias, as recipient search text: acronyms and names a watchlist
    writes case-sensitively (they need context the search cannot give) are left out."""
    names: dict[str, None] = {}
    for watchlist in watchlists:
        for entity in watchlist.entities:
            exact = set(entity.case_sensitive) | set(entity.require_context)
            for name in (entity.name, *entity.aliases):
                if name not in exact and len(name) >= MIN_RECIPIENT_CHARS:
                    names.setdefault(name, None)
    return list(names)


def record_sources(records: Sequence[RecordsConfig],
                   watchlists: Sequence[Watchlist]) -> list[ConfiguredSource]:
    """Each configured records source with its parameters and identity."""
    sources = []
    for entry in records:
        params: dict[str, Any] = {}
        if entry.provider == "usaspending":
            params = {"agencies": list(entry.agencies or ()),
                      "award_types": list(entry.award_types or ("contracts", "idvs")),
                      "recipients": list(entry.recipients
                                         or watchlist_recipients(watchlists))}
        elif entry.provider == "edgar":
            params = {"companies": list(entry.companies or ()),
                      "forms": list(entry.forms or ("8-K", "10-K", "10-Q"))}
        else:
            params = {"agencies": list(entry.agencies or ()),
                      "document_types": list(entry.document_types or ())}
        if entry.lookback is not None:
            params["lookback"] = entry.lookback
        kind = source_kind(entry.provider)
        what = ", ".join(params.get("agencies") or params.get("companies") or []) or "all"
        sources.append(ConfiguredSource(kind.key(entry.url, params), entry.provider, params,
                                    entry.name or f"{entry.provider}: {what}"[:200],
                                    entry.interval or DEFAULT_RECORDS_INTERVAL))
    return sources

