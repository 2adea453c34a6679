"""An indexed alias and the entity rules that accept or veto each of its occurrences."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.matching.normalize import fold_accents
from monitor.matching.rules import NEAR_WORDS, EntityRules, Veto
from monitor.matching.story import FieldWords, StoryText


@dataclass(frozen=True)
class Alias:
    """An indexed alias: its words' ids, its spelling as listed, its entity's rules."""

    watchlist: str
    rules: EntityRules
    text: str
    keys: tuple[str, ...]
    word_ids: tuple[int, ...]
    cased: tuple[str, ...]
    max_edits: int
    letters: int
    order: int
    variant: str = ""  # "split" ("Core Civic") or "joined" ("GEOGroup"), else as listed


def score(alias: Alias, edits: int) -> float:
    """1 - edits / letters: how closely the text spells the alias."""
    return round(1.0 - edits / max(alias.letters, 1), 3)


def judge(
    alias: Alias, field: FieldWords, start: int, end: int, edits: int, story: StoryText
) -> Veto | str:
    """Apply the entity's rules in a fixed order; return the accepting rule name or a Veto."""
    rules = alias.rules
    if field.name not in rules.fields:
        return Veto("fields", f"{field.name} is not in the entity's fields")
    if edits > alias.max_edits:
        return Veto("typo_tolerance", f"{edits} edit(s), {alias.max_edits} allowed")
    if score(alias, edits) < rules.entity.min_score:
        return Veto("min_score", f"score {score(alias, edits)} < {rules.entity.min_score}")
    accepted = "typo" if edits else "exact"
    if alias.variant == "split":
        written = tuple(fold_accents(field.raw(k)) for k in range(start, end))
        if field.caps or written != alias.cased:
            return Veto("split_name", f"written {' '.join(written)!r}: a split name counts "
                        f"only capitalised as {' '.join(alias.cased)!r}")
    if alias.variant:
        # In a Title Case field the capitals prove nothing: the support must come from elsewhere.
        title = alias.variant == "split" and field.title_case
        support = story.support(rules, field.name if title else "")
        if support is None:
            where = "outside this Title Case field" if title else "in the story"
            return Veto("split_name", f"{alias.variant} spelling with no context word or "
                        f"listed name {where}")
        accepted += f"+{alias.variant}({support})"
    need_context = alias.text in rules.require_context
    if alias.text in rules.case_sensitive:
        if field.caps and rules.context:
            need_context = True
        elif not field.caps:
            written = tuple(fold_accents(field.raw(k)) for k in range(start, end))
            if written != alias.cased:
                return Veto("case_sensitive", f"written {' '.join(written)!r}, "
                            f"rule wants {alias.text!r}")
            accepted += "+case"
    phrase = None
    if rules.exclude_phrases and end - start == len(alias.keys):
        phrase = rules.phrase_veto(field.keys, start, alias.keys)
    if phrase:
        return Veto("exclude_phrases", f"inside {phrase!r}")
    if rules.is_weak(alias.text):
        sentence = field.sentence(field.span(start)[0], field.span(end - 1)[1])
        vetoed = story.veto(rules)
        if vetoed:
            near = " ".join(field.keys[max(0, start - NEAR_WORDS):end + NEAR_WORDS])
            local = rules.sentence_overrides_veto(sentence, near)
            if local is None:
                return Veto("exclude_context", f"story mentions {vetoed!r}")
            accepted += f"+sentence({local})"
        if rules.namesake_context:
            sense = rules.sense(story.present(rules), sentence)
            if sense.namesake_score > sense.entity_score:
                return Veto("namesake_context", sense.describe())
            if sense.namesake:
                accepted += f"+sense({sense.describe()})"
    if need_context:
        word = story.context_word(rules)
        if word is None:
            why = "ALL-CAPS text gives no case evidence; " if field.caps else ""
            return Veto("require_context", why + "no context word in the story")
        accepted += f"+context({word})"
    return accepted
