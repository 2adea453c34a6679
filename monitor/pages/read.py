"""Read a fetched page in a parse worker: extract its text, match its body as the ``body``
field, each hit with the paragraph around it as context."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from monitor.matching import Match, Matcher
from monitor.pages.extract import Extracted, extract, paragraph_around

__all__ = ["PageReading", "body_matches", "read_page"]

BODY_FIELD = "body"
_LOOSE = {" ": r"\s+", "'": "['\u2018\u2019]", '"': '["\u201c\u201d]', "-": "[-\u2010-\u2015]"}


@dataclass(frozen=True)
class PageReading:
    """A page's extracted text and the watched names its body holds."""

    extracted: Extracted
    matches: tuple[Match, ...]


def body_matches(matcher: Matcher, title: str, summary: str, body: str) -> list[Match]:
    """Hits found in ``body`` alone (what the title and summary hold is already matched),
    judged with the headline as the story's context; each with its paragraph as context."""
    found = matcher.match(title, summary, body)
    return [replace(m, field=BODY_FIELD, context=paragraph_around(body, *_in_body(body, m)))
            for m in found if m.field == "content"]


def _in_body(body: str, m: Match) -> tuple[int, int]:
    """``m``'s span in ``body`` itself: its offsets index the matcher's text, which differs
    when the body holds "&" or "<" (entities unescaped, whitespace collapsed)."""
    if "<" not in body and "&" not in body:  # match_text kept every offset
        return m.start, m.end
    pattern = "".join(_LOOSE.get(c, re.escape(c)) for c in re.sub(r"\s+", " ", m.matched))
    spans = [(x.start(), x.end()) for x in re.finditer(pattern, body, re.IGNORECASE)]
    if not spans:
        return m.start, m.end
    return min(spans, key=lambda span: abs(span[0] - m.start))


def read_page(matcher: Matcher, html: bytes, url: str, title: str,
              summary: str) -> PageReading:
    """Extract ``html`` and match its body (no I/O: it runs in a parse worker)."""
    extracted = extract(html, url)
    matches = body_matches(matcher, title, summary, extracted.body) if extracted.body else []
    return PageReading(extracted, tuple(matches))
