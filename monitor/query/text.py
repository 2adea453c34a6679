"""How story text and query words are split and folded: letters and digits, case- and
accent-insensitive, so ``detencion`` finds "detención" and ``Amazon`` finds "Amazon's"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """The key a word is compared by."""
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word)
                       if not unicodedata.combining(c))
    return word.casefold()


def words(text: str) -> list[tuple[str, int, int]]:
    """Each word of ``text``, folded, with its character offsets."""
    return [(fold(m.group()), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def query_words(text: str) -> tuple[tuple[str, bool], ...]:
    """A query term's words, each with whether it is a prefix (written ``word*``)."""
    return tuple((fold(m.group()), text[m.end():m.end() + 1] == "*")
                 for m in WORD_RE.finditer(text))
