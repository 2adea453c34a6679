"""A story as the matcher reads it: each field's words, computed lazily, and the folded story."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, overload

from monitor.matching.normalize import (
    WORD_RE,
    fold,
    folded_words,
    is_all_caps,
    is_title_case,
    spaced_words,
)
from monitor.matching.rules import FIELD_BREAK

if TYPE_CHECKING:
    from monitor.matching.rules import EntityRules, Phrases

Lookup = dict[int, int]
LookupFn = Callable[[str], tuple[str, Lookup]]
SENTENCE_ENDS = (". ", "! ", "? ", "; ", "\n")
SENTENCE_CHARS = 300
"""A sentence is read at most this far each side of the occurrence, so its cost is bounded."""
SPAN_SEARCHES = 8
"""Words located one by one before the field's words are all located at once (a field naming
an entity thousands of times stays linear)."""


class FoldedWords(Sequence[str]):
    """A field's words folded (``fold``) as they are read: a long article's thousands of words
    are not folded for the few beside each occurrence that its rules look at."""

    def __init__(self, raw: Callable[[int], str], size: int):
        self._raw = raw
        self._size = size
        self._folded: dict[int, str] = {}

    def __len__(self) -> int:
        return self._size

    def _key(self, i: int) -> str:
        key = self._folded.get(i)
        if key is None:
            key = self._folded[i] = fold(self._raw(i))
        return key

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._key(i) for i in range(*index.indices(self._size))]
        if not -self._size <= index < self._size:
            raise IndexError(index)
        return self._key(index % self._size)


class FieldWords:
    """One field's words as written; folded keys, spans and index matches only when asked.

    The fast path touches a few words near an anchor, so nothing here walks every word
    unless the reference candidate scan, or a field naming an entity many times, needs it.
    """

    def __init__(self, name: str, text: str, words: list[str] | list[bytes], lookup: LookupFn,
                 data: bytes | None = None):
        self.name = name
        self.text = text
        self.words = words  # bytes on the fast path: only the words looked at are decoded
        self._raws: list[str] | None = None
        if data is None and words and isinstance(words[0], bytes):
            data = spaced_words(text).encode()
        self._data = data  # the fast path's UTF-8 bytes, non-word characters as spaces
        self._searches = 0
        self._lookup = lookup
        self._keys: FoldedWords | None = None
        self._matches: list[Lookup] | None = None
        self._spans: list[tuple[int, int]] | None = None
        self._caps: bool | None = None
        self._title: bool | None = None

    def raw(self, i: int) -> str:
        """Word ``i`` as written."""
        word = self.words[i]
        return word.decode() if isinstance(word, bytes) else word

    @property
    def raws(self) -> list[str]:
        if self._raws is None:
            self._raws = [self.raw(i) for i in range(len(self.words))]
        return self._raws

    def match(self, i: int) -> Lookup:
        """Index matches of word ``i``."""
        return self._lookup(self.raw(i))[1]

    @property
    def matches(self) -> list[Lookup]:
        if self._matches is None:
            self._matches = [self._lookup(r)[1] for r in self.raws]
        return self._matches

    @property
    def keys(self) -> FoldedWords:
        """Folded words, each folded when first read (the rules read a few around a name)."""
        if self._keys is None:
            self._keys = FoldedWords(self.raw, len(self.words))
        return self._keys

    @property
    def spans(self) -> list[tuple[int, int]]:
        if self._spans is None:
            self._spans = [m.span() for m in WORD_RE.finditer(self.text)]
        return self._spans

    def span(self, i: int) -> tuple[int, int]:
        """Character offsets of word ``i``. On the fast path (words as bytes) it is the word's
        n-th whole-word occurrence in the field's bytes, so a long field's words are never all
        located."""
        word, data = self.words[i], self._data
        self._searches += 1
        if self._spans is not None or not isinstance(word, bytes) or data is None or \
                self._searches > SPAN_SEARCHES:
            return self.spans[i]
        nth = self.words[:i].count(word)  # type: ignore[arg-type]
        at, size = -1, len(word)
        while True:
            at = data.find(word, at + 1)
            if at < 0:  # not the bytes the words were split from: locate every word instead
                return self.spans[i]
            before, after = data[at - 1:at] if at else b"", data[at + size:at + size + 1]
            inside = before.isalnum() or after.isalnum() or before > b"\x7f" or after > b"\x7f"
            if word == b"&" or not inside:
                if nth == 0:
                    break
                nth -= 1
        if len(data) == len(self.text):  # ASCII: a byte offset is a character offset
            return at, at + size
        lo = len(data[:at].decode())
        return lo, lo + len(word.decode())

    @property
    def caps(self) -> bool:
        if self._caps is None:
            self._caps = is_all_caps(self.text)
        return self._caps

    @property
    def title_case(self) -> bool:
        if self._title is None:
            self._title = is_title_case(self.text)
        return self._title

    def sentence(self, lo: int, hi: int) -> str:
        """Folded words of the sentence holding characters ``lo:hi`` (a title is one sentence)."""
        text = self.text
        floor, ceiling = max(0, lo - SENTENCE_CHARS), min(len(text), hi + SENTENCE_CHARS)
        start = max((at + len(c) for c in SENTENCE_ENDS
                     if (at := text.rfind(c, floor, lo)) >= 0), default=floor)
        ends = [i for i in (text.find(c, hi, ceiling) for c in SENTENCE_ENDS) if i >= 0]
        end = min(ends) if ends else ceiling
        return folded_words(text[start:end])


class StoryText:
    """Folded words of every field, joined for context searches; built only when a rule asks."""

    def __init__(self, fields: list[tuple[str, str]]):
        self._fields = fields
        self._text: str | None = None
        self._context: dict[int, str | None] = {}
        self._veto: dict[int, str | None] = {}
        self._present: dict[int, tuple[Phrases, Phrases]] = {}
        self._support: dict[tuple[int, str], str | None] = {}

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = FIELD_BREAK.join(folded_words(t) for _, t in self._fields)
        return self._text

    def context_word(self, rules: EntityRules) -> str | None:
        """The entity's first context phrase in the story; searched once per story and entity."""
        if id(rules) not in self._context:
            self._context[id(rules)] = rules.context_word(self.text)
        return self._context[id(rules)]

    def present(self, rules: EntityRules) -> tuple[Phrases, Phrases]:
        """The entity's sense-test phrases in the story, searched once per story and entity."""
        if id(rules) not in self._present:
            self._present[id(rules)] = rules.present(self.text)
        return self._present[id(rules)]

    def support(self, rules: EntityRules, skip: str = "") -> str | None:
        """What in the story, outside field ``skip``, backs a split or joined spelling: a
        context phrase or the entity named as listed. Searched once per story and entity."""
        key = (id(rules), skip)
        if key not in self._support:
            text = FIELD_BREAK.join(folded_words(t) for n, t in self._fields if n != skip)
            self._support[key] = rules.variant_support(text if skip else self.text)
        return self._support[key]

    def veto(self, rules: EntityRules) -> str | None:
        """The entity's exclude_context phrase in the story, searched once per story and entity."""
        if id(rules) not in self._veto:
            self._veto[id(rules)] = rules.story_veto(self.text)
        return self._veto[id(rules)]
