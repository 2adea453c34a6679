"""Read a fetched page in a parse worker: extract its text, match its body as the ``body``
field, each hit with the paragraph around it as context."""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.matching import Match, Matcher
from monitor.pages.extract import Extracted, extract, paragraph_around

__all__ = ["PageReading", "body_matches", "read_page"]

BODY_FIELD = "body"


@dataclass(frozen=True)
class PageReading:
    """A page's extracted text and the watched names its body holds."""

    extracted: Extracted
    matches: tuple[Match, ...]


def body_matches(matcher: Matcher, title: str, summary: str, body: str) -> list[Match]:
    """Hits found in ``body`` alone (what the title and summary hold is already matched),
    judged with the headline as the story's context; each with its paragraph as context."""
    found = matcher.match(title, summary, body)
    return [replace(m, field=BODY_FIELD, context=paragraph_around(body, m.start, m.end))
            for m in found if m.field == "content"]


def read_page(matcher: Matcher, html: bytes, url: str, title: str,
              summary: str) -> PageReading:
    """Extract ``html`` and match its body (no I/O: it runs in a parse worker)."""
    extracted = extract(html, url)
    matches = body_matches(matcher, title, summary, extracted.body) if extracted.body else []
    return PageReading(extracted, tuple(matches))
