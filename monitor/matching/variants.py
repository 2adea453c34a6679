"""Spellings of a name the watchlist need not list: a CamelCase name split at its capitals,
a two-word name run together. Both are common in headlines and hashtags ("Core Civic",
"GEOGroup")."""

from __future__ import annotations

import re

from monitor.matching.normalize import FUNCTION_WORDS, WORD_RE, fold, fold_accents

CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
MIN_PART = 3
"""Each part of a split name has at least this many letters ("Core Civic", not "Mc Donald")."""


def split_name(alias: str) -> tuple[str, ...] | None:
    """"CoreCivic" -> ("Core", "Civic"): a one-word CamelCase name's capitalised parts."""
    words = WORD_RE.findall(alias)
    if len(words) != 1 or not words[0].isalpha():
        return None
    parts = tuple(CAMEL_RE.split(fold_accents(words[0])))
    if len(parts) < 2 or any(len(p) < MIN_PART for p in parts):
        return None
    return parts


def joined_name(alias: str) -> str | None:
    """"GEO Group" -> "GEOGroup": a two-word name written without its space."""
    words = WORD_RE.findall(alias)
    if len(words) != 2 or not all(w.isalpha() and len(w) >= 2 for w in words):
        return None
    if any(fold(w) in FUNCTION_WORDS for w in words):
        return None
    return "".join(fold_accents(w) for w in words)
