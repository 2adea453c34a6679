"""The matcher's quick text tests answer exactly as the slower forms they stand in for."""

from __future__ import annotations

import random
from pathlib import Path

from monitor.config.watchlists import load_watchlists
from monitor.matching.normalize import WORD_RE, alias_keys, fold, folded_words, match_text
from monitor.matching.rules import EntityRules, PhraseRegex
from monitor.matching.story import FoldedWords

ROOT = Path(__file__).resolve().parents[3]
_OLD_QUOTE_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})


def _phrases() -> list[str]:
    """Every phrase a shipped watchlist gives the rules, with a prefix (``detain*``) added."""
    out = ["detain*", "the", "U.S.", "a-b c"]
    for watchlist in load_watchlists(ROOT / "watchlists"):
        for entity in watchlist.entities:
            rules = EntityRules(entity)
            for group in (rules.context, rules.namesake_context, rules.exclude_context,
                          rules.names):
                out += [p for p, _ in group]
    return out


def test_phrase_search_equals_its_regex_alone() -> None:
    phrases = _phrases()
    words = sorted({k for p in phrases for k in alias_keys(p.rstrip("*"))} | {"s", "ed", "x"})
    rng = random.Random(3)
    found = 0
    for _ in range(3000):
        story = " ".join(rng.choice(words) + rng.choice(("", "", "", "s", "ing"))
                         for _ in range(rng.randint(1, 30)))
        story = rng.choice((story, story + " | " + story[::-1], ""))
        for phrase in rng.sample(phrases, 12):
            rx = PhraseRegex(phrase)
            got, want = rx.search(story), rx.regex.search(story)
            assert (got and got.span()) == (want and want.span()), (phrase, story)
            found += want is not None
    assert found > 500  # the stories really do hold the phrases


def test_match_text_straightens_as_the_translation_table_did() -> None:
    rng = random.Random(4)
    alphabet = "aé ICE\u2019\u2018\u02bc\u2010\u2011\u201c\u201d\u2014-'"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert match_text(text) == text.translate(_OLD_QUOTE_MAP), text


def test_folded_words_equal_each_word_folded() -> None:
    rng = random.Random(5)
    for alphabet in ("aZ09 &_-.'\x1c\u00a0", "aZ \u00e9\u00df\u0130&\u2019\u0301\u4e2d-"):
        for _ in range(2000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            assert folded_words(text) == " ".join(fold(w) for w in WORD_RE.findall(text)), text


def test_folded_words_read_lazily_equal_the_list() -> None:
    words = ["ICE", "Agents", "&", "Inmigraci\u00f3n", "STRASSE", "x"]
    folded = [fold(w) for w in words]
    lazy = FoldedWords(words.__getitem__, len(words))
    assert len(lazy) == len(folded) and list(lazy) == folded
    for lo in range(-8, 9):
        assert lazy[lo:] == folded[lo:] and lazy[:lo] == folded[:lo]
        for hi in range(-8, 9):
            assert lazy[lo:hi] == folded[lo:hi], (lo, hi)
    assert lazy[-1] == "x" and lazy[2] == "and"
