"""A watchlist's recent hits as an Atom feed that any feed reader can subscribe to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from feedgen.feed import FeedGenerator

from monitor.config.watchlists import Watchlist
from monitor.dedup.canonical import web_link
from monitor.text import clean_text
from storage.models import utcnow
from storage.reports import StoryHits


def entry_id(story: StoryHits) -> str:
    """A stable, valid Atom id: a name-based UUID of the story's link (else its row id)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, story.link or f"ice-monitor:story:{story.story_id}").urn


def _summary(story: StoryHits) -> str:
    lines = [f"{entity}: “{matched}” — {context}" if context else f"{entity}: “{matched}”"
             for entity, matched, context in story.entities]
    return "\n".join(lines + ([f"Source: {story.source}"] if story.source else []))


def watchlist_feed(watchlist: Watchlist, stories: Sequence[StoryHits], self_url: str,
                   page_url: str, feed_id: str | None = None) -> bytes:
    """Atom 1.0 bytes: one entry per story, newest hit first; ``feed_id`` defaults to self.
    Stored text is cleaned again (older rows may hold characters lxml refuses)."""
    fg = FeedGenerator()
    fg.id(feed_id or self_url)
    fg.title(f"{watchlist.name} mentions — ice-monitor")
    fg.subtitle(watchlist.description or f"Stories that mention {watchlist.name}")
    fg.author({"name": "ice-monitor"})
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.generator("ice-monitor")
    fg.updated(max((s.found_at for s in stories), default=utcnow()))
    for story in stories:
        fe = fg.add_entry(order="append")
        fe.id(entry_id(story))
        fe.title(clean_text(story.title) or "(untitled)")
        if web_link(story.link):
            fe.link(href=story.link, rel="alternate")
        fe.updated(story.found_at)
        if story.published_at:
            fe.published(story.published_at)
        if story.source:
            fe.author({"name": clean_text(story.source)})
        for entity in dict.fromkeys(e for e, _, _ in story.entities):
            fe.category(term=entity, label=entity)
        fe.summary(clean_text(_summary(story)))
    atom: bytes = fg.atom_str(pretty=True)
    return atom
