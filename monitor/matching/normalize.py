"""Text normalisation shared by watchlist aliases and stories, so both sides fold identically."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from monitor.text import html_to_text

# Folded words too common to screen on (English and Spanish, as the shipped aliases use).
FUNCTION_WORDS = frozenset({
    "a", "an", "and", "at", "by", "de", "del", "el", "for", "in", "la", "las", "los", "of",
    "on", "the", "to", "y",
})
STOP_WORDS = FUNCTION_WORDS | frozenset({
    "all", "am", "any", "are", "as", "be", "been", "but", "can", "could", "did", "do", "does",
    "from", "had", "has", "have", "he", "her", "him", "his", "i", "if", "into", "is", "it",
    "its", "me", "my", "new", "no", "not", "one", "or", "our", "out", "she", "so", "that",
    "their", "them", "they", "this", "up", "us", "was", "we", "were", "what", "which", "who",
    "will", "with", "would", "you", "your",
    "al", "con", "e", "en", "es", "le", "les", "lo", "mi", "o", "para", "por", "que", "se",
    "su", "sus", "tu", "u", "un", "una", "uno",
})
"""Words found in most stories: an alias of only these (or single letters) must be cased."""
GENERIC_WORDS = STOP_WORDS | frozenset({
    "agency", "association", "bank", "capital", "co", "com", "company", "corp", "corporation",
    "department", "enterprises", "financial", "foundation", "global", "group", "holdings", "inc",
    "incorporated", "industries", "international", "llc", "logistics", "ltd", "national",
    "partners", "plc", "security", "services", "solutions", "systems", "technologies", "united",
    "net", "org", "www",
})
"""Words common in organisation names: an alias is screened on another word if it has one."""

WORD_RE = re.compile(r"[^\W_]+|&")
HYPHEN_RE = re.compile(r"([^\W_]+)-(?=([^\W_]+))")
_NON_WORD_BEYOND_ASCII = re.compile(r"[^\x00-\x7f\w]")
"""Characters outside ASCII that no word holds (curly quotes, dashes, no-break spaces): as
spaces they leave a text's words as they were, and every byte >= 0x80 left is a letter's."""
_STRAIGHT = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u2010", "-"), ("\u2011", "-"))
"""Curly apostrophes and hyphens, straightened: one ``str.replace`` each (a C scan) is ~100x
quicker than ``str.translate``, which looks every character of non-ASCII text up in a dict."""


def match_text(text: str) -> str:
    """The text a match's offsets point into: ``html_to_text`` of markup, but plain text as
    given (not collapsed, so offsets stay the input's); curly quotes and hyphens straightened."""
    if "<" in text or "&" in text:
        text = html_to_text(text)
    if not text.isascii():
        for curly, straight in _STRAIGHT:
            if curly in text:
                text = text.replace(curly, straight)
    return text


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


def spaced_words(text: str) -> str:
    """``text`` with every character beyond ASCII that no word holds as a space: the same
    words at the same offsets, and any non-ASCII character left is a letter or digit."""
    return text if text.isascii() else _NON_WORD_BEYOND_ASCII.sub(" ", text)


def folded_words(text: str) -> str:
    """The text's words folded (``fold``) and joined by spaces, what rule phrases are searched
    in; words of ASCII letters in a few C calls (a long article has thousands of words)."""
    plain = spaced_words(text)
    if plain.isascii():  # where fold is lower(); "&" is only ever a word of its own
        return " ".join(WORD_RE.findall(plain.lower())).replace("&", "and")
    return " ".join(fold(w) for w in WORD_RE.findall(text))


def alias_keys(alias: str) -> tuple[str, ...]:
    """Folded token keys of an alias or rule phrase."""
    return tuple(fold(m.group()) for m in WORD_RE.finditer(alias))


def matches_most_stories(keys: tuple[str, ...]) -> bool:
    """Folded alias keys made only of stop words and single letters ("I", "The", "U.S.")."""
    return all(len(k) == 1 or k in STOP_WORDS for k in keys)


def is_all_caps(text: str) -> bool:
    """True for SHOUTED text, where upper case is no evidence that a word is an acronym."""
    upper = sum(map(str.isupper, text))
    lower = sum(map(str.islower, text))
    return upper >= 12 and upper >= 0.9 * (upper + lower)


TITLE_CASE_WORDS = 4
"""A field needs this many content words, all capitalised, to read as a Title Case headline."""


def is_title_case(text: str) -> bool:
    """True for a Title Case headline, where a capital starts every word and so proves nothing
    about a name ("Why All Modern Architecture Looks the Same")."""
    words = [w for w in WORD_RE.findall(text) if w[0].isalpha() and fold(w) not in STOP_WORDS]
    return len(words) >= TITLE_CASE_WORDS and all(w[0].isupper() for w in words)
