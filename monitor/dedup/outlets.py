"""An aggregator's opaque copy of a story (a Google News link, which names no publisher) and
the outlet's own copy are one story: same outlet host, nearly the same title.

Only a pair with exactly one opaque side is merged: two copies with real links are merged by
their canonical link or as near-duplicates, never by title alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rapidfuzz import fuzz

from monitor.dedup.aggregators import OPAQUE_HOSTS
from monitor.dedup.neardup import title_key

TITLE_THRESHOLD = 85.0  # titles only (the aggregator's copy has no summary of its own)
WINDOW_S = 3 * 24 * 3600.0
OPAQUE_PREFIXES = tuple(f"https://{host}/" for host in sorted(OPAQUE_HOSTS))
_DIGITS = re.compile(r"\d+")

T = TypeVar("T")


@dataclass(frozen=True)
class _Copy(Generic[T]):
    target: T
    title: str  # the story's title as given: compared only when the other kind looks


def _numbers(title: str) -> frozenset[str]:
    return frozenset(_DIGITS.findall(title))


@dataclass
class OutletIndex(Generic[T]):
    """Stories by outlet host and by kind of link (opaque or the outlet's own), to find the
    other copy of an entry's story: an entry looks only among copies of the other kind, so a
    batch of plain links (nearly every batch) costs a dictionary miss each."""

    by_host: dict[tuple[str, bool], list[_Copy[T]]] = field(default_factory=dict)

    def add(self, host: str | None, target: T, title: str, opaque: bool) -> None:
        if host:
            self.by_host.setdefault((host, opaque), []).append(_Copy(target, title))

    def opaque_copy(self, host: str | None, target: T) -> bool:
        """Is ``target`` a story of ``host`` known only by an aggregator's link?"""
        return any(c.target == target for c in self.by_host.get((host or "", True), ()))

    def find(self, host: str | None, title: str, opaque: bool) -> T | None:
        """The story an entry of ``host`` with ``title`` is the other copy of, or None."""
        copies = self.by_host.get((host or "", not opaque))
        if not copies:
            return None
        key, numbers = title_key(title), _numbers(title)
        best, best_score = None, TITLE_THRESHOLD
        for copy in copies:
            if _numbers(copy.title) != numbers:
                continue
            score = fuzz.ratio(key, title_key(copy.title))
            if score >= best_score:
                best, best_score = copy.target, score
        return best


def is_opaque_canonical(url: str | None) -> bool:
    """A stored canonical link that names an aggregator, not the publisher."""
    return bool(url) and str(url).startswith(OPAQUE_PREFIXES)


def stored_index(rows: Iterable[tuple[int, str, str, str | None]]) -> OutletIndex[int]:
    """The index of stored stories from (id, outlet host, title, canonical link) rows."""
    index: OutletIndex[int] = OutletIndex()
    for sid, host, title, canonical in rows:
        index.add(host, sid, title, is_opaque_canonical(canonical))
    return index
