"""Candidate index: exact lookup plus deletion neighbourhoods; typo search never scans aliases."""

from __future__ import annotations

from rapidfuzz.distance import OSA

FUZZY_MIN_LEN = 5
"""Shorter alias words, and words with digits, match exactly: "ICE" is not "ACE", 2024 not 2025."""

FUZZY_MAX_LEN = 40
"""Longer alias words match exactly only, so no alias makes a story word's lookup expensive."""

CACHE_LIMIT = 200_000


def deletions(word: str) -> set[str]:
    """The word with each single character removed."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class TokenIndex:
    """Maps a story word to the alias words it equals or is one edit (OSA) away from.

    Looking a word up costs O(len(word)) dictionary probes whatever the number of aliases; results
    are cached because news vocabulary repeats heavily. A word longer than ``fuzzy_limit`` is
    more than one edit from every alias word, so it gets one exact probe and is not cached.
    """

    def __init__(self) -> None:
        self.words: list[str] = []
        self._ids: dict[str, int] = {}
        self._deletes: dict[str, list[int]] = {}
        self._cache: dict[str, tuple[tuple[int, int], ...]] = {}
        self._fuzzy: set[int] = set()
        self.fuzzy_limit = 0

    def add(self, word: str, fuzzy: bool = True) -> int:
        """Register an alias word and return its id; ``fuzzy=False`` matches it exactly only
        (a name's split or joined spelling: no deletion neighbourhood, one entry, and "civil"
        does not open the screen for "Core Civic")."""
        wid = self._ids.get(word)
        if wid is None:
            wid = len(self.words)
            self.words.append(word)
            self._ids[word] = wid
        elif wid in self._fuzzy or not fuzzy:
            return wid
        if fuzzy and FUZZY_MIN_LEN <= len(word) <= FUZZY_MAX_LEN and word.isalpha():
            self._fuzzy.add(wid)
            self.fuzzy_limit = max(self.fuzzy_limit, len(word) + 1)
            for variant in {word} | deletions(word):
                self._deletes.setdefault(variant, []).append(wid)
        return wid

    def lookup(self, key: str) -> tuple[tuple[int, int], ...]:
        """``(word_id, edits)`` pairs for a folded story word; empty for most words."""
        if len(key) > self.fuzzy_limit:
            exact = self._ids.get(key)
            return () if exact is None else ((exact, 0),)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found: dict[int, int] = {}
        exact = self._ids.get(key)
        if exact is not None:
            found[exact] = 0
        if len(key) >= FUZZY_MIN_LEN - 1 and key.isalpha():
            deletes = self._deletes
            for variant in (key, *[key[:i] + key[i + 1:] for i in range(len(key))]):
                wids = deletes.get(variant)
                if wids is None:
                    continue
                for wid in wids:
                    if wid not in found and OSA.distance(key, self.words[wid], score_cutoff=1) <= 1:
                        found[wid] = 1
        result = tuple(found.items())
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = result
        return result
