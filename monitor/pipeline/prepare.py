"""Prepare parsed entries for dedup and storing: the one place their derived fields are made.

``prepare`` runs wherever the entries were parsed (a parse worker, or the daemon process when
there is no pool), so the store never matches and never canonicalises. Parse workers import
this module: it must not pull in the database stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.dedup.aggregators import host_of, is_opaque
from monitor.dedup.canonical import canonical_url
from monitor.dedup.neardup import band_keys, normalise
from monitor.matching import Match, Matcher
from monitor.sources.entry import Entry, Parsed, record_identity, shares_page

DEDUP_CONTENT_CHARS = 2000  # an entry without a summary is compared by its content's start


@dataclass(frozen=True)
class Prepared:
    """An entry with what dedup and storing need: its near-duplicate text and band keys, its
    canonical link and its watchlist matches."""

    entry: Entry
    text: str  # normalised title and summary start (monitor.dedup.neardup.normalise)
    keys: tuple[int, ...]  # near-duplicate band keys; empty when the text is too short
    canonical: str | None
    matches: tuple[Match, ...]

    @property
    def title(self) -> str:
        """The entry's title (what dedup compares, with ``text``)."""
        return self.entry.title

    @property
    def opaque(self) -> bool:
        """Its link names an aggregator, not the publisher (a Google News article)."""
        return is_opaque(self.entry.link)

    @property
    def outlet_host(self) -> str | None:
        """The publisher's host: the site an aggregator names, else the link's own host."""
        return host_of(self.entry.outlet_site) or (None if self.opaque
                                                   else host_of(self.entry.link))


@dataclass(frozen=True)
class PreparedFeed:
    """A parsed document (title, errors, counts) and its entries, prepared."""

    parsed: Parsed
    entries: list[Prepared]

    @classmethod
    def failed(cls, error: str) -> PreparedFeed:
        """A document that could not be parsed: no entries, and why."""
        return cls(Parsed([], error=error), [])


def prepare(entries: Sequence[Entry], matcher: Matcher) -> list[Prepared]:
    """Each entry with its near-duplicate fingerprint, canonical link and matches."""
    match = matcher.match
    prepared = []
    for e in entries:
        text = normalise(e.title, e.summary or e.content[:DEDUP_CONTENT_CHARS])
        matches = tuple(match(e.title, e.summary, e.content))
        if shares_page(e):  # an award's modification is its own story, never a near-dup
            prepared.append(Prepared(e, text, (), record_identity(e), matches))
            continue
        if e.record is not None:  # a filing or rule: its page, so a feed's copy joins it
            prepared.append(Prepared(e, text, (), canonical_url(e.link), matches))
            continue
        prepared.append(Prepared(e, text, band_keys(text), canonical_url(e.link), matches))
    return prepared


def prepare_feed(parsed: Parsed, matcher: Matcher) -> PreparedFeed:
    """``parsed`` with its entries prepared (see ``prepare``)."""
    return PreparedFeed(parsed, prepare(parsed.entries, matcher))
