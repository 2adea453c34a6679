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
from monitor.language import detect
from monitor.matching import Match, Matcher
from monitor.sources.entry import Entry, Parsed, record_identity, shares_page

DEDUP_CONTENT_CHARS = 2000  # an entry without a summary is compared by its content's start


@dataclass(frozen=True)
class Prepared:
    """An entry with what dedup and storing need: its near-duplicate text and band keys, its
    canonical link, its watchlist matches, whether its link is an aggregator's (and the
    publisher's host) and its language, all made once, in the parse worker."""

    entry: Entry
    text: str  # normalised title and summary start (monitor.dedup.neardup.normalise)
    keys: tuple[int, ...]  # near-duplicate band keys; empty when the text is too short
    canonical: str | None
    matches: tuple[Match, ...]
    opaque: bool = False  # its link names an aggregator, not the publisher (Google News)
    outlet_host: str | None = None  # the site an aggregator names, else the link's own host
    language: str | None = None  # ISO 639-1 (monitor.language), None when it cannot be told

    @property
    def title(self) -> str:
        """The entry's title (what dedup compares, with ``text``)."""
        return self.entry.title


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
    """Each entry with its near-duplicate fingerprint, canonical link, matches, whether its
    link is an aggregator's, its publisher's host and its language."""
    match = matcher.match
    prepared = []
    for e in entries:
        text = normalise(e.title, e.summary or e.content[:DEDUP_CONTENT_CHARS])
        matches = tuple(match(e.title, e.summary, e.content))
        keys: tuple[int, ...]
        canonical: str | None
        if shares_page(e):  # an award's modification is its own story, never a near-dup
            keys, canonical = (), record_identity(e)
        elif e.record is not None:  # a filing or rule: its page, so a feed's copy joins it
            keys, canonical = (), canonical_url(e.link)
        else:
            keys, canonical = band_keys(text), canonical_url(e.link)
        opaque = is_opaque(e.link)
        host = host_of(e.outlet_site) or (None if opaque else host_of(e.link))
        prepared.append(Prepared(e, text, keys, canonical, matches, opaque, host,
                                 detect(e.title, e.summary, e.content)))
    return prepared


def prepare_feed(parsed: Parsed, matcher: Matcher) -> PreparedFeed:
    """``parsed`` with its entries prepared (see ``prepare``)."""
    return PreparedFeed(parsed, prepare(parsed.entries, matcher))
