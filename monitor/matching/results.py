"""What a match reports: accepted hits and near misses, one hit per entity, their snippets."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.text import collapse
from notifiers.snippets import quote, word_span

FIELD_ORDER = ("title", "summary", "content")
FIELD_RANK = {name: rank for rank, name in enumerate(FIELD_ORDER)}
SNIPPET = 60


@dataclass(frozen=True)
class Occurrence:
    """Where an alias was found and how closely it is spelled; ``rule`` names the rule that
    accepted (``Match``) or the watchlist key that vetoed it (``NearMiss``)."""

    watchlist: str
    entity: str
    alias: str
    matched: str
    field: str
    start: int
    end: int
    score: float
    rule: str


@dataclass(frozen=True)
class Match(Occurrence):
    """An accepted match, with enough detail to explain itself in an alert or to an admin."""

    context: str


@dataclass(frozen=True)
class NearMiss(Occurrence):
    """A candidate that a rule turned down, and why."""

    reason: str


def snippet(text: str, lo: int, hi: int) -> str:
    """About ``SNIPPET`` characters each side of the match, cut between words and marked "…"."""
    start, end = word_span(text, lo, hi, max(0, lo - SNIPPET), min(len(text), hi + SNIPPET))
    return collapse(quote(text, start, end))


def best_hits(hits: list[Match]) -> list[Match]:
    """One hit per (watchlist, entity), preferring exact, longer aliases, then earlier fields."""
    if len(hits) < 2:
        return hits
    best: dict[tuple[str, str], Match] = {}
    for hit in sorted(hits, key=lambda h: (-h.score, FIELD_RANK[h.field], -len(h.alias), h.start)):
        best.setdefault((hit.watchlist, hit.entity), hit)
    return list(best.values())


def dedupe_misses(misses: list[NearMiss], hits: list[Match]) -> list[NearMiss]:
    """Drop repeats, and misses inside an accepted hit ("GEO" within "GEO Group")."""
    covered = [(h.entity, h.field, h.start, h.end) for h in hits]
    seen: dict[tuple[str, str, str, str, int], NearMiss] = {}
    for miss in misses:
        if any(e == miss.entity and f == miss.field and s <= miss.start and miss.end <= t
               for e, f, s, t in covered):
            continue
        seen.setdefault((miss.watchlist, miss.entity, miss.alias, miss.field, miss.start), miss)
    return list(seen.values())
