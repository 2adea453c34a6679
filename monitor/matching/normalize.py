"""Text normalisation shared by watchlist aliases and stories, so both sides fold identically."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]+>", re.S | re.I)
_BLOCK_RE = re.compile(r"</?(p|br|div|li|h[1-6]|tr|td|blockquote)\b[^>]*>", re.I)
_WS_RE = re.compile(r"\s+")
WORD_RE = re.compile(r"[^\W_]+|&")
HYPHEN_RE = re.compile(r"([^\W_]+)-(?=([^\W_]+))")
_QUOTE_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"}
)


def html_to_text(text: str) -> str:
    """Strip tags and decode entities; block tags become spaces so words never fuse."""
    if "<" in text:
        text = _BLOCK_RE.sub(" ", text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return text.translate(_QUOTE_MAP)


def collapse(text: str) -> str:
    """Collapse runs of whitespace, for readable snippets."""
    return _WS_RE.sub(" ", text).strip()


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
