"""Per-entity rules (case, required context, vetoes), compiled once so checks are quick."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.matching.normalize import alias_keys

if TYPE_CHECKING:
    from monitor.config.watchlists import Entity

NEAR_WORDS = 3
"""Words each side of an occurrence that count as beside it ("arrested by ICE")."""
FIELD_BREAK = " | "
"""Separates fields in the story key string so no phrase spans a title and a summary."""


class PhraseRegex:
    """Whole-word regex over folded keys; a trailing ``*`` extends the last word (``detain*``).

    The regex runs only where the phrase's words occur as a substring: that test is one C
    search, and a long story without them is not scanned from every space."""

    __slots__ = ("literal", "regex")

    def __init__(self, phrase: str):
        prefix = phrase.rstrip().endswith("*")
        keys = alias_keys(phrase.rstrip().rstrip("*"))
        self.literal = " ".join(keys)
        tail = r"\w*" if prefix else ""
        self.regex = re.compile(r"(?:^| )" + re.escape(self.literal) + tail + r"(?= |$)")

    def search(self, text: str) -> re.Match[str] | None:
        """The phrase's first whole-word occurrence in folded ``text``."""
        return self.regex.search(text) if self.literal in text else None


def auto_tolerance(keys: tuple[str, ...]) -> int:
    """Edits allowed for an alias: none up to 4 letters, one up to 9, two beyond."""
    letters = sum(len(k) for k in keys)
    if letters <= 4:
        return 0
    return 1 if letters <= 9 else 2


@dataclass(frozen=True)
class Veto:
    """Why an occurrence was not accepted; ``rule`` names the watchlist key responsible."""

    rule: str
    detail: str


@dataclass(frozen=True)
class Sense:
    """The sense test's evidence: phrases found for the entity and for its namesakes.

    A phrase scores 1 anywhere in the story and 2 in the occurrence's own sentence.
    """

    entity: tuple[tuple[str, int], ...]
    namesake: tuple[tuple[str, int], ...]

    @property
    def entity_score(self) -> int:
        return sum(w for _, w in self.entity)

    @property
    def namesake_score(self) -> int:
        return sum(w for _, w in self.namesake)

    def describe(self) -> str:
        def words(found: tuple[tuple[str, int], ...]) -> str:
            return ", ".join(f"{p}" + ("(sentence)" if w > 1 else "") for p, w in found)
        return (f"entity {self.entity_score} [{words(self.entity)}] vs "
                f"namesake {self.namesake_score} [{words(self.namesake)}]")


Phrases = list[tuple[str, PhraseRegex]]


def _weighed(present: Phrases, sentence: str) -> tuple[tuple[str, int], ...]:
    return tuple((p, 1 + bool(rx.search(sentence))) for p, rx in present)


class EntityRules:
    """The compiled form of one entity's rule keys."""

    def __init__(self, entity: Entity):
        self.entity = entity
        self.case_sensitive = frozenset(entity.case_sensitive)
        self.require_context = frozenset(entity.require_context)
        self.context = [(p, PhraseRegex(p)) for p in entity.context]
        self.exclude_context = [(p, PhraseRegex(p)) for p in entity.exclude_context]
        self.exclude_phrases = [(p, alias_keys(p)) for p in entity.exclude_phrases]
        self._longest_phrase = max((len(k) for _, k in self.exclude_phrases), default=0)
        self.fields = frozenset(entity.fields)
        self.ambiguous = frozenset(entity.ambiguous)
        self.namesake_context = [(p, PhraseRegex(p)) for p in entity.namesake_context]
        self.names = [(n, PhraseRegex(n)) for n in (entity.name, *entity.aliases)
                      if not self.is_weak(n)]

    def is_weak(self, alias: str) -> bool:
        """Ambiguous forms (case-sensitive, needing context or listed ``ambiguous``): the ones
        story vetoes and the sense test apply to."""
        return (alias in self.case_sensitive or alias in self.require_context
                or alias in self.ambiguous)

    def present(self, story: str) -> tuple[Phrases, Phrases]:
        """The ``context`` and ``namesake_context`` phrases found in the story."""
        return ([(p, rx) for p, rx in self.context if rx.search(story)],
                [(p, rx) for p, rx in self.namesake_context if rx.search(story)])

    @staticmethod
    def sense(present: tuple[Phrases, Phrases], sentence: str) -> Sense:
        """Which sense the story gives an ambiguous alias: ``context`` against
        ``namesake_context`` phrases (``present`` in the story), one in the alias's own
        sentence counting double."""
        return Sense(_weighed(present[0], sentence), _weighed(present[1], sentence))

    def sentence_overrides_veto(self, sentence: str, near: str) -> str | None:
        """The occurrence's own sentence is about the entity whatever else the story covers
        (an ICE train and, further on, an arrest by ICE) when its ``context`` phrases outweigh
        its ``exclude_context`` and namesake phrases: a phrase among the ``near`` words beside
        the name counts double, and a tie keeps the veto."""
        found = [(p, 1 + bool(rx.search(near))) for p, rx in self.context if rx.search(sentence)]
        if not found:
            return None
        against = sum(1 for _, rx in (*self.exclude_context, *self.namesake_context)
                      if rx.search(sentence))
        return found[0][0] if sum(w for _, w in found) > against else None

    def max_edits(self, alias: str, keys: tuple[str, ...]) -> int:
        if alias in self.case_sensitive:
            return 0
        tolerance = self.entity.typo_tolerance
        return auto_tolerance(keys) if tolerance is None else tolerance

    def context_word(self, story: str) -> str | None:
        """The first context phrase present anywhere in the story, if any."""
        return next((p for p, rx in self.context if rx.search(story)), None)

    def variant_support(self, story: str) -> str | None:
        """A context phrase, or the entity's name or a non-ambiguous alias as listed, in
        ``story``: what a split or joined spelling needs beside it to count."""
        return next((p for p, rx in (*self.context, *self.names) if rx.search(story)), None)

    def story_veto(self, story: str) -> str | None:
        """An ``exclude_context`` phrase present anywhere in the story, if any."""
        return next((p for p, rx in self.exclude_context if rx.search(story)), None)

    def phrase_veto(self, keys: Sequence[str], start: int,
                    alias_keys_: tuple[str, ...]) -> str | None:
        """An ``exclude_phrases`` entry covering the occurrence at ``keys[start:]``, if any.

        The occurrence's words are read as the alias itself, so "Amazn rainforest" is vetoed too.
        """
        if not self.exclude_phrases:
            return None
        n = len(alias_keys_)
        # Only the words a phrase could span around the occurrence: a story's cost stays linear.
        lo = max(0, start - self._longest_phrase)
        local = [*keys[lo:start], *alias_keys_, *keys[start + n:start + n + self._longest_phrase]]
        at = start - lo
        for phrase, pkeys in self.exclude_phrases:
            m = len(pkeys)
            for j in range(max(0, at + n - m), min(at, len(local) - m) + 1):
                if tuple(local[j:j + m]) == pkeys:
                    return phrase
        return None
