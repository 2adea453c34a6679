"""Where a quote of feed text may start and end: between words (shared with the matcher)."""

from __future__ import annotations

ELLIPSIS = "…"


def word_span(text: str, lo: int, hi: int, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inward to word boundaries, never into the match ``text[lo:hi]``."""
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, lo)
        start = lo if space < 0 else space + 1
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", hi, end)
        end = hi if space < 0 else space
    return start, end


def quote(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with "…" on each side where text was left out."""
    return ((ELLIPSIS if start > 0 else "") + text[start:end]
            + (ELLIPSIS if end < len(text) else ""))
