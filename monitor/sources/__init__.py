"""Source kinds by name. A new kind is one module and one ``register`` line (below, or in the
module that uses it); built-in kinds are named by "module:attribute" and imported on first use,
so importing this package costs nothing."""

from __future__ import annotations

import importlib

from monitor.sources.base import Source
from storage.errors import MonitorError

_KINDS: dict[str, Source | str] = {}


class UnknownKind(MonitorError):
    """A stored source names a kind this version does not have."""


def register(name: str, kind: Source | str) -> None:
    """Make ``kind`` (an instance, or "module:attribute" naming one) the source kind ``name``."""
    _KINDS[name] = kind


def source_kind(name: str) -> Source:
    """The kind registered as ``name``; UnknownKind if there is none."""
    kind = _KINDS.get(name)
    if kind is None:
        raise UnknownKind(f"unknown source kind {name!r}")
    if isinstance(kind, str):
        module, _, attribute = kind.partition(":")
        kind = _KINDS[name] = getattr(importlib.import_module(module), attribute)
    return kind


def kind_names() -> list[str]:
    """Every registered kind's name."""
    return sorted(_KINDS)


def kind_modules() -> list[str]:
    """The module of every registered kind: the parse fork server preloads them (and their
    parsers), so workers forked from it share that memory instead of importing their own."""
    return sorted({kind.partition(":")[0] if isinstance(kind, str) else type(kind).__module__
                   for kind in _KINDS.values()})


register("feed", "monitor.sources.feed.kind:FEED")
register("usaspending", "monitor.sources.records.usaspending:USASPENDING")
register("edgar", "monitor.sources.records.edgar:EDGAR")
register("federal-register", "monitor.sources.records.fedreg:FEDERAL_REGISTER")
register("google-news", "monitor.sources.search.kinds:GOOGLE_NEWS")
register("bing-news", "monitor.sources.search.kinds:BING_NEWS")
register("gdelt", "monitor.sources.search.kinds:GDELT")
