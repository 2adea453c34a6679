"""What every source kind produces: entries with their identity, and what went wrong."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.dedup.aggregators import host_of, unwrap, without_outlet
from monitor.text import clean_text, collapse
from storage.links import web_link

MAX_KEY_BYTES = 1000  # longer GUIDs are hashed so the unique index stays within limits


@dataclass(frozen=True)
class Entry:
    """One story as its source presents it, reduced to plain text (what is derived from it for
    dedup and matching is ``monitor.pipeline.prepare.Prepared``)."""

    key: str
    guid: str | None
    link: str | None
    title: str
    summary: str
    content: str
    published: datetime | None
    site: str | None = None  # the feed's site, shown instead of a link that was not http(s)
    outlet: str | None = None  # who published it, as an aggregator names them (RSS <source>)
    outlet_site: str | None = None  # that outlet's site, as the aggregator gives it
    record: Mapping[str, Any] | None = None  # a public record's facts (monitor.sources.records)


@dataclass(frozen=True)
class Parsed:
    """Entries plus what went wrong, if anything (a broken feed keeps what it has)."""

    entries: list[Entry]
    title: str = ""
    error: str | None = None
    fast: bool = False  # parsed by the lxml fast path rather than feedparser
    skipped: int = 0  # entries that could not be read (the others are kept)
    skip_reason: str | None = None  # why the first of them could not
    shared_guids: int = 0  # distinct entries that shared a GUID, each kept under a key of its own


def entry_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    """Identity of an entry within its feed: GUID, else link, else a hash of its text."""
    for candidate in (guid, link):
        if candidate:
            if len(candidate.encode()) <= MAX_KEY_BYTES:
                return candidate
            return "sha1:" + hashlib.sha1(candidate.encode()).hexdigest()
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


def make_entry(guid: str | None, link: str | None, title: str, summary: str, content: str,
               published: datetime | None, site: str | None = None,
               outlet: str | None = None, outlet_site: str | None = None) -> Entry:
    """An Entry with its identity key.

    Only an http(s) link is kept; an entry whose link was another scheme's (``javascript:``,
    ``data:``…) links to ``site``, its feed's site, instead (its key stays the same). A link an
    aggregator wraps is stored as the publisher's (monitor.dedup.aggregators), named by its
    domain when no outlet is given; the key is the link as given, so an entry keeps its
    identity."""
    guid = clean_text(guid) if guid else guid
    link = clean_text(link) if link else None
    web = web_link(unwrap(link))
    outlet = collapse(clean_text(outlet)) or None if outlet else None
    if outlet is None and web is not None and web != link:
        outlet = host_of(web)  # all a wrapper gives (a Google Alert): the publisher's domain
    key = entry_key(guid, link, title, summary)
    title, summary = without_outlet(title, summary, outlet)
    return Entry(key, guid, web, title, summary, content, published,
                 site=site if link and web is None else None, outlet=outlet,
                 outlet_site=web_link(clean_text(outlet_site)) if outlet_site else None)


def shares_page(entry: Entry) -> bool:
    """Whether the entry is a record whose page other records share (an award's page shows
    every modification of it): such a record is a story of its own, keyed by page and id."""
    return entry.record is not None and bool(entry.record.get("page_shared"))


def record_identity(entry: Entry) -> str:
    """A page-sharing record's story identity (its stored canonical URL): its page plus the
    record's own id, so an award's modifications are stories of their own."""
    return f"{entry.link or ''}#record={entry.key}"
