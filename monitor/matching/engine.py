"""The Matcher: index lookups find candidate aliases, then entity rules accept or veto them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, cast

from monitor.matching.index import TokenIndex
from monitor.matching.judge import Alias, judge, score
from monitor.matching.normalize import (
    FUNCTION_WORDS,
    GENERIC_WORDS,
    HYPHEN_RE,
    WORD_RE,
    alias_keys,
    fold,
    fold_accents,
    match_text,
    spaced_words,
)
from monitor.matching.results import (
    FIELD_ORDER,
    Match,
    NearMiss,
    best_hits,
    dedupe_misses,
    snippet,
)
from monitor.matching.rules import EntityRules, Veto
from monitor.matching.story import FieldWords, Lookup, StoryText
from monitor.matching.variants import joined_name, split_name

if TYPE_CHECKING:
    from monitor.config.watchlists import Watchlist

RAW_CACHE_LIMIT = 200_000
SCREEN_CACHE_CHUNK = 64  # longer chunks (hostile or hyphen chains) are screened, not cached
FIELD_CHARS = 100_000
"""Visible characters of a field that are matched (a long article's first ~15,000 words);
the rest is ignored, so one story's cost is bounded whatever a feed sends."""
FIELD_CANDIDATES = 500
"""Alias occurrences judged per field (a story naming an entity 60 times yields ~200); the
rules run per occurrence, so this bounds a field repeating a name thousands of times."""
_SCREEN_PUNCT = bytes(c for c in range(128) if not chr(c).isalnum() and chr(c) not in "-&")
_SCREEN_TABLE = bytes.maketrans(_SCREEN_PUNCT, b" " * len(_SCREEN_PUNCT))
_WORD_PUNCT = bytes(c for c in range(0, 128) if not chr(c).isalnum() and chr(c) != "&")
_WORDS_TABLE = bytes.maketrans(_WORD_PUNCT, b" " * len(_WORD_PUNCT))
"""ASCII bytes to words as ``WORD_RE`` splits them, once "&" is spaced out: C speed."""


Candidates = Iterator[tuple[Alias, int, int, int]]
Candidate = tuple[tuple[int, int, int, int], Alias, int, int]
"""A fast-path candidate: its place in the reference scan's order (start word, 1 for a
hyphenated pair, the first word's rank in the word's index matches, alias order), the alias,
edits and end word."""


EMPTY: Lookup = {}


class Matcher:
    """Matches stories against watchlists; cost per story barely depends on the alias count."""

    def __init__(self, watchlists: Sequence[Watchlist]):
        self.index = TokenIndex()
        self.aliases: list[Alias] = []
        self._by_first: dict[int, list[Alias]] = {}
        # One anchor word per alias, its rarest ("Kamiven" in "Kamiven Group"): an alias
        # matches only where its anchor does, so a field none of whose words is (within one
        # edit of) an anchor cannot match, and most stories stop at that screen.
        self._anchors: set[int] = set()
        self._by_anchor: dict[int, list[tuple[Alias, int]]] = {}
        self._raw: dict[str, tuple[str, Lookup]] = {}
        self._known: set[bytes] = set()  # chunks classified by the screen
        self._hot: set[bytes] = set()  # those holding an alias anchor
        for watchlist in watchlists:
            for entity in watchlist.entities:
                rules = EntityRules(entity)
                for name in entity.names:
                    self._add(watchlist.name, rules, name)
                    self._add_variants(watchlist.name, rules, name)
        self._choose_anchors()

    def _add(self, watchlist: str, rules: EntityRules, text: str, written: str = "",
             variant: str = "") -> None:
        """Index an alias; ``written`` is a variant's own spelling of it."""
        keys = alias_keys(written or text)
        if not keys:
            return
        alias = Alias(
            watchlist=watchlist,
            rules=rules,
            text=text,
            keys=keys,
            word_ids=tuple(self.index.add(k, fuzzy=not variant) for k in keys),
            cased=tuple(fold_accents(m.group()) for m in WORD_RE.finditer(written or text)),
            max_edits=0 if variant else rules.max_edits(text, keys),
            letters=sum(len(k) for k in keys),
            order=len(self.aliases),
            variant=variant,
        )
        self.aliases.append(alias)
        self._by_first.setdefault(alias.word_ids[0], []).append(alias)

    def _add_variants(self, watchlist: str, rules: EntityRules, text: str) -> None:
        """The name's split and joined spellings, unless the watchlist lists them itself."""
        listed = {alias_keys(n) for n in rules.entity.names}
        parts = split_name(text)
        if parts and alias_keys(" ".join(parts)) not in listed:
            self._add(watchlist, rules, text, " ".join(parts), "split")
        joined = joined_name(text)
        if joined and alias_keys(joined) not in listed:
            self._add(watchlist, rules, text, joined, "joined")

    def _choose_anchors(self) -> None:
        """Anchor each alias on its rarest word: not a function or generic company word,
        then the one fewest aliases share, then the longest."""
        shared: dict[int, int] = {}
        for alias in self.aliases:
            for wid in set(alias.word_ids):
                shared[wid] = shared.get(wid, 0) + 1
        for alias in self.aliases:
            keys = alias.keys
            j = min(range(len(keys)), key=lambda k: (
                keys[k] in FUNCTION_WORDS, keys[k] in GENERIC_WORDS, len(keys[k]) < 3,
                shared[alias.word_ids[k]], -len(keys[k]), k))
            self._anchors.add(alias.word_ids[j])
            self._by_anchor.setdefault(alias.word_ids[j], []).append((alias, j))

    def match(self, title: str, summary: str = "", content: str = "") -> list[Match]:
        """Best hit per (watchlist, entity): highest score, then title, summary, content."""
        return self.explain(title, summary, content, near_misses=False)[0]

    def explain(
        self, title: str, summary: str = "", content: str = "", near_misses: bool = True
    ) -> tuple[list[Match], list[NearMiss]]:
        """Hits plus candidates that rules vetoed, so an admin can see why a story was missed."""
        fields = [
            (name, _bounded(match_text(value or "")))
            for name, value in zip(FIELD_ORDER, (title, summary, content), strict=True)
        ]
        story = StoryText(fields)
        hits: list[Match] = []
        misses: list[NearMiss] = []
        for name, text in fields:
            found = self._field_candidates(name, text) if text else None
            if found is None:
                continue
            field, candidates = found
            for alias, start, end, edits in islice(candidates, FIELD_CANDIDATES):
                verdict = judge(alias, field, start, end, edits, story)
                self._record(verdict, alias, field, start, end, edits, hits, misses)
        if not hits:
            return [], (dedupe_misses(misses, hits) if near_misses else [])
        texts = dict(fields)
        best = [Match(h.watchlist, h.entity, h.alias, h.matched, h.field, h.start, h.end, h.score,
                      h.rule, snippet(texts[h.field], h.start, h.end)) for h in best_hits(hits)]
        return best, (dedupe_misses(misses, hits) if near_misses else [])

    def _field_candidates(self, name: str, text: str) -> tuple[FieldWords, Candidates] | None:
        """The field's words and candidate aliases; None when the screen rules out any match.

        The text is read as UTF-8 bytes, characters outside ASCII that no word holds as spaces
        (curly quotes, dashes): only the words the screen found hot are looked at, and alias
        words around them, and hot hyphenated pairs read as one word. ``_candidates`` scans
        word by word, the reference the fast path must agree with.
        """
        data = spaced_words(text).encode()
        hot = self._hot_chunks(data)
        if not hot:
            return None
        words = data.translate(_WORDS_TABLE).replace(b"&", b" & ").split()
        field = FieldWords(name, text, words, self._lookup, data)
        joined = {c for c in hot if b"-" in c or b"&" in c}  # several words: which are hot?
        if not joined:
            return field, self._anchored(field, _where(words, hot))
        parts, pairs = self._hot_parts(joined)
        return field, self._anchored(field, _where(words, (hot - joined) | parts),
                                     self._joins(field, pairs))

    def _hot_chunks(self, data: bytes) -> set[bytes]:
        """Chunks of a field's UTF-8 bytes holding an alias anchor; all C when every chunk is
        known.

        The text is split as bytes (ASCII punctuation and control characters, except "-" and
        "&", become space) and checked against the chunks already classified; only chunks
        never seen are looked up.
        """
        chunks = data.translate(_SCREEN_TABLE).split()
        if self._known.issuperset(chunks):
            return self._hot.intersection(chunks)
        missing = set(chunks).difference(self._known)
        if len(self._known) + len(missing) > RAW_CACHE_LIMIT:
            self._known.clear()
            self._hot.clear()
            missing = set(chunks)
        uncached: set[bytes] = set()
        for chunk in missing:
            hot = self._chunk_is_hot(chunk.decode())
            if len(chunk) > SCREEN_CACHE_CHUNK:
                if hot:
                    uncached.add(chunk)
                continue
            self._known.add(chunk)
            if hot:
                self._hot.add(chunk)
        return self._hot.intersection(chunks) | uncached

    def _chunk_is_hot(self, chunk: str) -> bool:
        """Does a whitespace-free chunk hold an alias word, alone or hyphen-joined?"""
        anchors = self._anchors
        words = WORD_RE.findall(chunk)
        if any(not anchors.isdisjoint(self._lookup(w)[1]) for w in words):
            return True
        return "-" in chunk and any(not anchors.isdisjoint(self._lookup(a + b)[1])
                                    for a, b in HYPHEN_RE.findall(chunk))

    def _lookup(self, raw: str) -> tuple[str, Lookup]:
        """Folded key and index matches of a word as written, cached by its raw form."""
        found = self._raw.get(raw)
        if found is None:
            key = fold(raw)
            matches = self.index.lookup(key)
            found = (key, dict(matches) if matches else EMPTY)
            if len(raw) > self.index.fuzzy_limit:
                return found  # rare and cheap to redo: only short words are worth keeping
            if len(self._raw) >= RAW_CACHE_LIMIT:
                self._raw.clear()
            self._raw[raw] = found
        return found

    def _candidates(self, field: FieldWords, joins: bool) -> Candidates:
        """Yield ``(alias, first_word, end_word, edits)`` for every alias spelled at a position,
        word by word: the reference the fast path is tested against (tests/unit/matching)."""
        matches, n_words = field.matches, len(field.matches)
        for i, found in enumerate(matches):
            for wid, edits in found.items():
                for alias in self._by_first.get(wid, ()):
                    total = edits
                    n = len(alias.word_ids)
                    if i + n > n_words:
                        continue
                    for k in range(1, n):
                        step = matches[i + k].get(alias.word_ids[k])
                        if step is None:
                            break
                        total += step
                    else:
                        yield alias, i, i + n, total
            if joins and i + 1 < n_words and \
                    field.text[field.spans[i][1]:field.spans[i + 1][0]] == "-":
                _, joined = self._lookup(field.raws[i] + field.raws[i + 1])
                for wid, edits in joined.items():
                    for alias in self._by_first.get(wid, ()):
                        if len(alias.word_ids) == 1:
                            yield alias, i, i + 2, edits

    def _hot_parts(self, chunks: set[bytes]) -> tuple[set[bytes], set[tuple[str, str]]]:
        """The words of hot chunks joined by "-" or "&" that hold an alias anchor, and their
        hyphenated pairs that do read as one word ("Core-Civic")."""
        anchors, words, pairs = self._anchors, set[bytes](), set[tuple[str, str]]()
        for chunk in chunks:
            text = chunk.decode()
            words.update(w.encode() for w in WORD_RE.findall(text)
                         if not anchors.isdisjoint(self._lookup(w)[1]))
            pairs.update((a, b) for a, b in HYPHEN_RE.findall(text)
                         if not anchors.isdisjoint(self._lookup(a + b)[1]))
        return words, pairs

    def _joins(self, field: FieldWords, pairs: set[tuple[str, str]]) -> list[Candidate]:
        """One-word aliases spelled as a hyphenated pair, wherever the pair stands in the field
        joined by a lone "-" (what ``_candidates`` yields with ``joins``)."""
        out: list[Candidate] = []
        words, text = cast(list[bytes], field.words), field.text
        for a, b in pairs:
            first, second = a.encode(), b.encode()
            found = [(rank, alias, edits)
                     for rank, (wid, edits) in enumerate(self._lookup(a + b)[1].items())
                     for alias in self._by_first.get(wid, ()) if len(alias.word_ids) == 1]
            for i in _where(words, {first}):
                if i + 1 < len(words) and words[i + 1] == second and \
                        text[field.span(i)[1]:field.span(i + 1)[0]] == "-":
                    out += [((i, 1, rank, alias.order), alias, edits, i + 2)
                            for rank, alias, edits in found]
        return out

    def _anchored(self, field: FieldWords, positions: list[int],
                  joins: Sequence[Candidate] = ()) -> Candidates:
        """The candidates of ``_candidates`` in its order, found from anchor words only (and
        ``joins``, the hyphenated pairs already found): which of two equal hits is shown, and
        where FIELD_CANDIDATES cuts, stay the reference's."""
        out: list[Candidate] = list(joins)
        n_words = len(field.words)
        for i in positions:
            for wid, edits in field.match(i).items():
                for alias, j in self._by_anchor.get(wid, ()):
                    start, n = i - j, len(alias.word_ids)
                    if start < 0 or start + n > n_words:
                        continue
                    total = edits
                    for k, want in enumerate(alias.word_ids):
                        if k == j:
                            continue
                        step = field.match(start + k).get(want)
                        if step is None:
                            break
                        total += step
                    else:
                        rank = list(field.match(start)).index(alias.word_ids[0])
                        out.append(((start, 0, rank, alias.order), alias, total, start + n))
        out.sort(key=lambda c: c[0])
        return iter([(alias, key[0], end, total) for key, alias, total, end in out])

    def _record(self, verdict: Veto | str, alias: Alias, field: FieldWords, start: int, end: int,
                edits: int, hits: list[Match], misses: list[NearMiss]) -> None:
        lo = field.span(start)[0]
        hi = field.span(end - 1)[1] if end - start > 1 else lo + len(field.raw(start))
        matched = field.text[lo:hi]
        entity = alias.rules.entity.name
        value = score(alias, edits)
        if isinstance(verdict, Veto):
            misses.append(NearMiss(alias.watchlist, entity, alias.text, matched, field.name,
                                   lo, hi, value, verdict.rule, verdict.detail))
            return
        hits.append(Match(alias.watchlist, entity, alias.text, matched, field.name, lo, hi,
                          value, verdict, ""))


def _where(words: list[bytes], hot: set[bytes]) -> list[int]:
    """Positions of the hot words, found by C-level ``list.index`` rather than a Python loop."""
    found: list[int] = []
    for word in hot:
        at = -1
        try:
            while True:
                at = words.index(word, at + 1)
                found.append(at)
        except ValueError:
            continue
    return sorted(found)


def _bounded(text: str) -> str:
    """The field's first FIELD_CHARS characters, cut after a whole word so no cut word matches."""
    if len(text) <= FIELD_CHARS:
        return text
    cut = text[:FIELD_CHARS + 1]
    end = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
    return cut[:end] if end > 0 else ""
