"""A story's query document, from a fresh entry and the matcher's matches, or from a stored
story and its hits (which keep the matched text, not its offsets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from monitor.query.evaluate import Document, Found, Located, Named, document, locate


class StoredHit(Named, Protocol):
    """What a stored hit tells: whom the matcher found, in which field, written how."""

    @property
    def matched(self) -> str: ...


def story_document(title: str, summary: str, content: str,
                   matches: Iterable[Found] = (), body: str = "") -> Document:
    """A new story: its fields as the matcher read them (``body``: an article page's text,
    when one was fetched), and where it found each entity."""
    return document([("title", title), ("summary", summary), ("content", content),
                     ("body", body)], matches)


def stored_document(title: str, summary: str, hits: Iterable[StoredHit],
                    body: str = "") -> Document:
    """A stored story (``body``: its stored page text, if any): each hit stands wherever its
    matched text occurs in its field."""
    fields = {"title": title, "summary": summary, "body": body}
    found: list[Found] = []
    for h in hits:
        spots = locate(fields.get(h.field, ""), h.matched)
        found += [Located(h.watchlist, h.entity, h.field, s, e) for s, e in spots] or [
            Located(h.watchlist, h.entity, h.field, None, None)]
    return document(list(fields.items()), found)
