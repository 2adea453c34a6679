"""Near-duplicate stories across feeds: syndicated wire copy under other URLs, lightly edited.

Each story gets a MinHash signature of its title and the start of its summary, cut into bands
(locality-sensitive hashing): two texts whose word sets overlap by ~70% share a band key with
probability ~0.98, unrelated ones almost never. Band keys of recent stories live in an in-memory
index, so finding candidates costs a few dict look-ups per entry; candidates are then confirmed
with rapidfuzz on the normalised texts, which keeps same-topic but different stories apart.
Loading the index from the database and adding committed stories is ``monitor.dedup.recent``:
parse workers import this module and must not pull in the database stack.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process

BANDS = 6
ROWS = 2
SUMMARY_WORDS = 60
MIN_TOKENS = 6
OVERLAP_THRESHOLD = 0.8
TITLE_THRESHOLD = 70.0
WINDOW_S = 3 * 24 * 3600.0
BUCKET_CAP = 32
MAX_CHECKS = 8
TEXTS_CAP = 5_000  # texts kept in memory; an older one is read back when its title is alike

TextLoader = Callable[[Sequence[int]], dict[int, tuple[str, str]]]  # id -> (text, title_key)

_PER_WORD = BANDS * ROWS  # 32-bit hashes per word
_HASHES: dict[str, bytes] = {}
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he",
    "her", "his", "in", "is", "it", "its", "of", "on", "or", "that", "the", "their", "they",
    "this", "to", "was", "were", "will", "with", "after", "over", "says", "said", "new",
})


class Fingerprint(NamedTuple):
    """What the index keeps of a stored story: its band keys, and its text to confirm a match."""

    story_id: int
    keys: tuple[int, ...]
    text: str
    title: str


def normalise(title: str, summary: str) -> str:
    """Lower-cased, accent-free words of the title and summary start, without stop words."""
    text = unicodedata.normalize("NFKD", f"{title} {summary}".lower())
    words = _WORD.findall(text)
    title_len = len(_WORD.findall(title))
    words = words[: title_len + SUMMARY_WORDS]
    return " ".join(w for w in words if w not in _STOP and (len(w) > 1 or w.isdigit()))


def _token_digest(token: str) -> bytes:
    """BANDS*ROWS independent 32-bit hashes of a word, as one digest (cached: words repeat).

    The cache keeps the 48-byte digest, not a tuple of Python ints: ~80 bytes a word instead
    of ~470, which is what a parse worker's cache of 200,000 words costs (16 MB, not 94)."""
    value = _HASHES.get(token)
    if value is None:
        if len(_HASHES) > 200_000:
            _HASHES.clear()
        value = _HASHES[token] = hashlib.blake2b(token.encode(),
                                                 digest_size=4 * BANDS * ROWS).digest()
    return value


def band_keys(text: str) -> tuple[int, ...]:
    """LSH band keys of a normalised text; empty when it is too short to judge.

    The words' digests are unpacked in one call and each hash's minimum taken from a slice:
    12 C-level passes instead of a tuple per word (~15 % quicker)."""
    tokens = set(text.split())
    if len(tokens) < MIN_TOKENS:
        return ()
    get = _HASHES.get
    values = _unpacker(len(tokens))(b"".join([get(t) or _token_digest(t) for t in tokens]))
    sig = [min(values[i::_PER_WORD]) for i in range(_PER_WORD)]
    return tuple(((band + 1) << 56) ^ (sig[band * ROWS] << 24) ^ sig[band * ROWS + 1]
                 for band in range(BANDS))


@lru_cache(maxsize=256)
def _unpacker(words: int) -> Callable[[bytes], tuple[int, ...]]:
    """Unpacks ``words`` digests at once (a text has at most a title and 60 words more)."""
    return struct.Struct(f"<{_PER_WORD * words}I").unpack


def _numbers(title: str) -> set[str]:
    return set(_DIGITS.findall(title))


def title_key(title: str) -> str:
    """The title as token_sort_ratio compares it (lower-cased words, sorted), computed once."""
    return " ".join(sorted(title.lower().split()))


def same_story(a: str, b: str, title_a: str, title_b: str) -> bool:
    """Same story with small edits: most words shared (one may be a trimmed copy), like titles.

    Numbers in the titles must agree: "ICE detains 40" and "ICE detains 12" are two stories,
    and wire copy is edited for length, not for its figures.
    """
    if _numbers(title_a) != _numbers(title_b):
        return False
    return (fuzz.ratio(title_key(title_a), title_key(title_b)) >= TITLE_THRESHOLD
            and _shared_words(frozenset(a.split()), frozenset(b.split())))


def _shared_words(words_a: frozenset[str], words_b: frozenset[str]) -> bool:
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) / min(len(words_a), len(words_b)) >= OVERLAP_THRESHOLD


@dataclass
class NearDupIndex:
    """Band key → recent story ids, plus their titles and texts to confirm a candidate.

    A bucket keeps its newest ``BUCKET_CAP`` stories and a lookup checks at most ``MAX_CHECKS``
    candidates, so boilerplate-heavy feeds cannot make dedup quadratic. Titles, the first and
    cheap test, stay in memory; only the newest ``texts_cap`` texts do (50,000 texts are
    ~20 MB), and an older one is read back through ``find``'s loader when its title is alike.
    """

    # a key shared by one story maps to its id, by several to a list (most keys are one
    # story's: a list each would cost ~20 MB more in a cycle of 50,000 new stories)
    buckets: dict[int, int | list[int]] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)  # story id -> title_key
    texts: dict[int, str] = field(default_factory=dict)  # story id -> normalised text
    texts_cap: int | None = TEXTS_CAP  # None: keep every text (a transaction's own stories)

    def add(self, story_id: int, keys: Iterable[int], text: str | None = None,
            title: str = "") -> None:
        buckets = self.buckets
        for key in keys:
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = story_id
            elif isinstance(bucket, int):
                buckets[key] = [bucket, story_id]
            else:
                bucket.append(story_id)
                if len(bucket) > BUCKET_CAP:
                    del bucket[0]
        if text is not None:
            self._keep({story_id: (text, title_key(title))})

    def _keep(self, known: dict[int, tuple[str, str]]) -> None:
        """Remember stories' (text, title_key), forgetting the oldest texts beyond the cap."""
        texts = self.texts
        for sid, (text, key) in known.items():
            self.titles[sid] = key
            texts[sid] = text
        if self.texts_cap is not None:
            for _ in range(len(texts) - self.texts_cap):
                del texts[next(iter(texts))]

    def candidates(self, keys: Sequence[int], also: NearDupIndex | None = None) -> list[int]:
        """Story ids sharing a band (here or in ``also``): at most MAX_CHECKS, those sharing
        the most bands when there are more."""
        found = [bucket for bucket in map(self.buckets.get, keys) if bucket is not None]
        if also is not None and also.buckets:
            found += [bucket for bucket in map(also.buckets.get, keys) if bucket is not None]
        if not found:
            return []
        if len(found) == 1:
            only = found[0]
            return [only] if isinstance(only, int) else only[-MAX_CHECKS:]
        ids: list[int] = []
        for bucket in found:
            if isinstance(bucket, int):
                ids.append(bucket)
            else:
                ids.extend(bucket)
        counts = Counter(ids)  # counted in C: full buckets hold up to 32 ids each
        if len(counts) <= MAX_CHECKS:
            return list(counts)
        return sorted(counts, key=counts.__getitem__, reverse=True)[:MAX_CHECKS]

    def find(self, text: str, title: str, keys: Sequence[int],
             also: NearDupIndex | None = None, load: TextLoader | None = None) -> int | None:
        """The id of a recent story this text duplicates, or None.

        ``also``: a second index searched in the same pass (a transaction's own new stories);
        its ids must not collide with this index's. ``load``: fetches the texts of candidates
        not in memory (stories of earlier runs, or older than the cap), in the caller's
        transaction."""
        if not keys:
            return None
        ids = self.candidates(keys, also)
        if not ids:
            return None
        indexes = (self,) if also is None else (self, also)
        titles = {sid: key for sid in ids for index in indexes  # in ids' order: ties go first
                  if (key := index.titles.get(sid)) is not None}
        missing = [sid for sid in ids if sid not in titles]
        if missing and load is not None:
            loaded = load(missing)
            self._keep(loaded)
            titles.update((sid, key) for sid, (_, key) in loaded.items())
        # same_story, cheapest test first: titles rarely look alike (one C call for them all)
        alike = process.extract(title_key(title), titles, scorer=fuzz.ratio,
                                score_cutoff=TITLE_THRESHOLD, limit=None)
        if not alike:
            return None
        numbers, words = _numbers(title), frozenset(text.split())
        for other_title, _, sid in alike:
            other_text = self._text(sid, indexes, load)
            if other_text is not None and _numbers(other_title) == numbers \
                    and _shared_words(words, frozenset(other_text.split())):
                return sid
        return None

    def _text(self, sid: int, indexes: Sequence[NearDupIndex],
              load: TextLoader | None) -> str | None:
        """A candidate's text: from memory, else read back (and kept as the newest)."""
        for index in indexes:
            if (text := index.texts.get(sid)) is not None:
                return text
        loaded = load([sid]) if load is not None else {}
        self._keep(loaded)
        return loaded[sid][0] if sid in loaded else None
