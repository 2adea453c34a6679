"""Which new entries get their article page fetched: a source's ``full_text`` (true, false,
"auto"), else its kind's default; "auto" fetches when the entry's own text is short."""

from __future__ import annotations

import re

from monitor.sources.entry import Entry

__all__ = ["AUTO_WORDS", "page_wanted", "word_count"]

AUTO_WORDS = 100  # "auto": an entry with fewer words of its own has its page fetched
_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def page_wanted(mode: bool | str | None, kind_default: bool | str, entry: Entry) -> bool:
    """Whether ``entry``'s page is fetched under the source's ``mode`` (None: the kind's)."""
    if not entry.link:
        return False
    chosen = kind_default if mode is None else mode
    if chosen == "auto":
        return max(word_count(entry.summary), word_count(entry.content)) < AUTO_WORDS
    return bool(chosen)
