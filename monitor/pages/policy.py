"""Which new entries get their article page fetched: a source's ``full_text`` (true, false,
"auto"), else its kind's default; "auto" fetches when the entry's own text is short."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from monitor.sources import UnknownKind, source_kind
from monitor.sources.entry import Entry

if TYPE_CHECKING:
    from storage.models import Feed

__all__ = ["AUTO_WORDS", "page_rule", "page_wanted", "word_count"]

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


def page_rule(configured: Mapping[str, object]) -> Callable[[Feed, Entry], bool]:
    """The store's rule for new stories: the configured source's ``full_text`` (looked up by
    its identity URL), else its kind's default."""
    def wanted(feed: Feed, entry: Entry) -> bool:
        mode = getattr(configured.get(feed.url), "full_text", None)
        try:
            default = source_kind(feed.kind).full_text
        except UnknownKind:
            return False
        return page_wanted(mode, default, entry)
    return wanted
