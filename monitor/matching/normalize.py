"""Text normalisation shared by watchlist aliases and stories, so both sides fold identically."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from monitor.text import html_to_text as visible_text

WORD_RE = re.compile(r"[^\W_]+|&")
HYPHEN_RE = re.compile(r"([^\W_]+)-(?=([^\W_]+))")
_QUOTE_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"}
)


def html_to_text(text: str) -> str:
    """Visible text (the parser's own reduction) with curly quotes and hyphens straightened.

    Plain text skips the HTML step, so offsets into it stay those of the input."""
    if "<" in text or "&" in text:
        text = visible_text(text)
    return text.translate(_QUOTE_MAP)


@lru_cache(maxsize=65536)
def fold_accents(token: str) -> str:
    """Drop diacritics ("Inmigración" -> "Inmigracion") so Spanish text matches typed aliases."""
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(token: str) -> str:
    """Case- and accent-insensitive key of one token; "&" reads as "and"."""
    if token == "&":
        return "and"
    return fold_accents(token).casefold()


def alias_keys(alias: str) -> tuple[str, ...]:
    """Folded token keys of an alias or rule phrase."""
    return tuple(fold(m.group()) for m in WORD_RE.finditer(alias))


def is_all_caps(text: str) -> bool:
    """True for SHOUTED text, where upper case is no evidence that a word is an acronym."""
    upper = sum(map(str.isupper, text))
    lower = sum(map(str.islower, text))
    return upper >= 12 and upper >= 0.9 * (upper + lower)
