"""The Matcher: index lookups find candidate aliases, then entity rules accept or veto them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from monitor.matching.index import TokenIndex
from monitor.matching.normalize import (
    FUNCTION_WORDS,
    HYPHEN_RE,
    WORD_RE,
    alias_keys,
    fold,
    fold_accents,
    is_all_caps,
    match_text,
)
from monitor.matching.rules import FIELD_BREAK, EntityRules, Veto
from monitor.text import collapse
from notifiers.snippets import quote, word_span

if TYPE_CHECKING:
    from monitor.config.watchlists import Watchlist

FIELD_ORDER = ("title", "summary", "content")
SNIPPET = 60
RAW_CACHE_LIMIT = 200_000
SCREEN_CACHE_CHUNK = 64  # longer chunks (hostile or hyphen chains) are screened, not cached
FIELD_CHARS = 100_000
"""Visible characters of a field that are matched (a long article's first ~15,000 words);
the rest is ignored, so one story's cost is bounded whatever a feed sends."""
FIELD_CANDIDATES = 500
"""Alias occurrences judged per field (a story naming an entity 60 times yields ~200); the
rules run per occurrence, so this bounds a field repeating a name thousands of times."""
_SCREEN_PUNCT = bytes(c for c in range(33, 127) if not chr(c).isalnum() and chr(c) not in "-&")
_SCREEN_TABLE = bytes.maketrans(_SCREEN_PUNCT, b" " * len(_SCREEN_PUNCT))


@dataclass(frozen=True)
class Match:
    """An accepted match, with enough detail to explain itself in an alert or to an admin."""

    watchlist: str
    entity: str
    alias: str
    matched: str
    field: str
    start: int
    end: int
    score: float
    rule: str
    context: str


@dataclass(frozen=True)
class NearMiss:
    """A candidate that a rule turned down; ``rule`` is the watchlist key that vetoed it."""

    watchlist: str
    entity: str
    alias: str
    matched: str
    field: str
    start: int
    end: int
    score: float
    rule: str
    reason: str


@dataclass(frozen=True)
class _Alias:
    watchlist: str
    rules: EntityRules
    text: str
    keys: tuple[str, ...]
    word_ids: tuple[int, ...]
    cased: tuple[str, ...]
    max_edits: int
    letters: int


Lookup = dict[int, int]
EMPTY: Lookup = {}


class _Field:
    """One field's words as written, their folded keys, spans and index matches."""

    def __init__(self, name: str, text: str, raws: list[str], found: list[tuple[str, Lookup]]):
        self.name = name
        self.text = text
        self.raws = raws
        self.keys = [key for key, _ in found]
        self.matches = [m for _, m in found]
        self.spans = [m.span() for m in WORD_RE.finditer(text)]
        self._caps: bool | None = None

    @property
    def caps(self) -> bool:
        if self._caps is None:
            self._caps = is_all_caps(self.text)
        return self._caps


class _Story:
    """Folded words of every field, joined for context searches; built only when a rule asks."""

    def __init__(self, fields: list[tuple[str, str]]):
        self._fields = fields
        self._text: str | None = None
        self._context: dict[int, str | None] = {}
        self._veto: dict[int, str | None] = {}

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = FIELD_BREAK.join(
                " ".join(fold(w) for w in WORD_RE.findall(t)) for _, t in self._fields)
        return self._text

    def context_word(self, rules: EntityRules) -> str | None:
        """The entity's first context phrase in the story; searched once per story and entity."""
        if id(rules) not in self._context:
            self._context[id(rules)] = rules.context_word(self.text)
        return self._context[id(rules)]

    def veto(self, rules: EntityRules) -> str | None:
        """The entity's exclude_context phrase in the story, searched once per story and entity."""
        if id(rules) not in self._veto:
            self._veto[id(rules)] = rules.story_veto(self.text)
        return self._veto[id(rules)]


class Matcher:
    """Matches stories against watchlists; cost per story barely depends on the alias count."""

    def __init__(self, watchlists: Sequence[Watchlist]):
        self.index = TokenIndex()
        self.aliases: list[_Alias] = []
        self._by_first: dict[int, list[_Alias]] = {}
        # Words that make a field worth a look: every alias word but "the", "of", "to"...,
        # which every story has. An alias matches only if all its words are there, so the
        # screen stays exact while most stories stop at it.
        self._anchors: set[int] = set()
        self._raw: dict[str, tuple[str, Lookup]] = {}
        self._screened: dict[bytes, bool] = {}
        self._hot: set[bytes] = set()
        for watchlist in watchlists:
            for entity in watchlist.entities:
                rules = EntityRules(entity)
                for name in entity.names:
                    self._add(watchlist.name, rules, name)

    def _add(self, watchlist: str, rules: EntityRules, text: str) -> None:
        keys = alias_keys(text)
        if not keys:
            return
        alias = _Alias(
            watchlist=watchlist,
            rules=rules,
            text=text,
            keys=keys,
            word_ids=tuple(self.index.add(k) for k in keys),
            cased=tuple(fold_accents(m.group()) for m in WORD_RE.finditer(text)),
            max_edits=rules.max_edits(text, keys),
            letters=sum(len(k) for k in keys),
        )
        self.aliases.append(alias)
        self._by_first.setdefault(alias.word_ids[0], []).append(alias)
        anchors = [wid for key, wid in zip(keys, alias.word_ids, strict=True)
                   if key not in FUNCTION_WORDS]
        self._anchors.update(anchors or alias.word_ids)

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
        story = _Story(fields)
        hits: list[Match] = []
        misses: list[NearMiss] = []
        for name, text in fields:
            if not text or not self._screen(text):
                continue
            raws = WORD_RE.findall(text)
            field = _Field(name, text, raws, [self._lookup(r) for r in raws])
            found = islice(self._candidates(field, "-" in text), FIELD_CANDIDATES)
            for alias, start, end, edits in found:
                verdict = self._judge(alias, field, start, end, edits, story)
                self._record(verdict, alias, field, start, end, edits, hits, misses)
        return _best(hits), (_dedupe(misses, hits) if near_misses else [])

    def _screen(self, text: str) -> bool:
        """Could anything match in this field? Most stories stop here, so it runs mostly in C.

        ASCII text is split as bytes (punctuation except "-" and "&" becomes space) and checked
        against the set of chunks known to contain an alias word; other text takes the regex path.
        """
        if not text.isascii():
            return any(self._chunk_is_hot(w) for w in text.split())
        chunks = set(text.encode().translate(_SCREEN_TABLE).split())
        missing = chunks.difference(self._screened)
        if len(self._screened) + len(missing) > RAW_CACHE_LIMIT:
            self._screened.clear()
            self._hot.clear()
            missing = chunks
        hot_uncached = False
        for chunk in missing:
            hot = self._chunk_is_hot(chunk.decode())
            if len(chunk) > SCREEN_CACHE_CHUNK:
                hot_uncached = hot_uncached or hot
                continue
            self._screened[chunk] = hot
            if hot:
                self._hot.add(chunk)
        return hot_uncached or not self._hot.isdisjoint(chunks)

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

    def _candidates(self, field: _Field,
                    joins: bool) -> Iterator[tuple[_Alias, int, int, int]]:
        """Yield ``(alias, first_word, end_word, edits)`` for every alias spelled at a position."""
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

    def _judge(
        self, alias: _Alias, field: _Field, start: int, end: int, edits: int, story: _Story
    ) -> Veto | str:
        """Apply the entity's rules in a fixed order; return the accepting rule name or a Veto."""
        rules = alias.rules
        if field.name not in rules.fields:
            return Veto("fields", f"{field.name} is not in the entity's fields")
        if edits > alias.max_edits:
            return Veto("typo_tolerance", f"{edits} edit(s), {alias.max_edits} allowed")
        if _score(alias, edits) < rules.entity.min_score:
            return Veto("min_score", f"score {_score(alias, edits)} < {rules.entity.min_score}")
        accepted = "typo" if edits else "exact"
        need_context = alias.text in rules.require_context
        if alias.text in rules.case_sensitive:
            if field.caps and rules.context:
                need_context = True
            elif not field.caps:
                written = tuple(fold_accents(w) for w in field.raws[start:end])
                if written != alias.cased:
                    return Veto("case_sensitive", f"written {' '.join(written)!r}, "
                                f"rule wants {alias.text!r}")
                accepted += "+case"
        phrase = None
        if end - start == len(alias.keys):
            phrase = rules.phrase_veto(field.keys, start, alias.keys)
        if phrase:
            return Veto("exclude_phrases", f"inside {phrase!r}")
        if rules.is_weak(alias.text):
            vetoed = story.veto(rules)
            if vetoed:
                return Veto("exclude_context", f"story mentions {vetoed!r}")
        if need_context:
            word = story.context_word(rules)
            if word is None:
                why = "ALL-CAPS text gives no case evidence; " if field.caps else ""
                return Veto("require_context", why + "no context word in the story")
            accepted += f"+context({word})"
        return accepted

    def _record(self, verdict: Veto | str, alias: _Alias, field: _Field, start: int, end: int,
                edits: int, hits: list[Match], misses: list[NearMiss]) -> None:
        lo, hi = field.spans[start][0], field.spans[end - 1][1]
        matched = field.text[lo:hi]
        entity = alias.rules.entity.name
        score = _score(alias, edits)
        if isinstance(verdict, Veto):
            misses.append(NearMiss(alias.watchlist, entity, alias.text, matched, field.name,
                                   lo, hi, score, verdict.rule, verdict.detail))
            return
        hits.append(Match(alias.watchlist, entity, alias.text, matched, field.name, lo, hi,
                        score, verdict, _snippet(field.text, lo, hi)))


def _bounded(text: str) -> str:
    """The field's first FIELD_CHARS characters, cut after a whole word so no cut word matches."""
    if len(text) <= FIELD_CHARS:
        return text
    cut = text[:FIELD_CHARS + 1]
    end = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
    return cut[:end] if end > 0 else ""


def _score(alias: _Alias, edits: int) -> float:
    return round(1.0 - edits / max(alias.letters, 1), 3)


def _snippet(text: str, lo: int, hi: int) -> str:
    """About ``SNIPPET`` characters each side of the match, cut between words and marked "…"."""
    start, end = word_span(text, lo, hi, max(0, lo - SNIPPET), min(len(text), hi + SNIPPET))
    return collapse(quote(text, start, end))


def _best(hits: list[Match]) -> list[Match]:
    """One hit per (watchlist, entity), preferring exact, longer aliases, then earlier fields."""
    best: dict[tuple[str, str], Match] = {}
    for hit in sorted(hits, key=lambda h: (-h.score, FIELD_ORDER.index(h.field),
                                           -len(h.alias), h.start)):
        best.setdefault((hit.watchlist, hit.entity), hit)
    return list(best.values())


def _dedupe(misses: list[NearMiss], hits: list[Match]) -> list[NearMiss]:
    """Drop repeats, and misses inside an accepted hit ("GEO" within "GEO Group")."""
    covered = [(h.entity, h.field, h.start, h.end) for h in hits]
    seen: dict[tuple[str, str, str, str, int], NearMiss] = {}
    for miss in misses:
        if any(e == miss.entity and f == miss.field and s <= miss.start and miss.end <= t
               for e, f, s, t in covered):
            continue
        seen.setdefault((miss.watchlist, miss.entity, miss.alias, miss.field, miss.start), miss)
    return list(seen.values())
