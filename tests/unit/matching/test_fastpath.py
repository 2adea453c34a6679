"""The ASCII fast path (anchor words only) finds exactly what the word-by-word scan finds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from monitor.config.watchlists import Entity, Watchlist, load_watchlists
from monitor.matching import Matcher
from monitor.matching.normalize import WORD_RE
from monitor.matching.story import FieldWords

ROOT = Path(__file__).resolve().parents[3]
FILLER = ("the", "of", "and", "group", "services", "said", "police", "agents", "care", "secure",
          "report", "to", "call", "prime", "web", "inc", "lane", "main", "&", "immigration",
          "customs", "enforcement", "corrections", "corporation", "america", "rainforest")
PUNCT = (" ", " ", " ", ", ", ". ", "'s ", " (", ") ", ": ", " -- ", "'", "\x1c", "\x01 ",
         "\x7f", "_", "-", "-", "&")
WIDE_PUNCT = ("\u201c", "\u201d ", " \u2014 ", "\u2013", "\u2026 ", "\u00a0", "\u200b",
              " \u00ab", "\u00bb ", "\u00b7", "\u2022 ", "\u0301", "\u3000")
"""Curly quotes, dashes, no-break and zero-width spaces, guillemets, a lone combining accent:
characters outside ASCII that no word holds, which the fast path reads as spaces."""
WIDE_FILLER = ("inmigraci\u00f3n", "se\u00f1al", "caf\u00e9", "Aduanas", "\u00e9l", "ni\u00f1os")


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    p = rng.randrange(1, len(word) - 1)
    return rng.choice((word[:p] + word[p + 1:], word[:p] + "x" + word[p + 1:],
                       word[:p] + word[p + 1] + word[p] + word[p + 2:]))


def _stories(matcher: Matcher, n: int, seed: int, punct: tuple[str, ...] = PUNCT) -> list[str]:
    """Random text dense with alias words, typos, case changes and punctuation."""
    rng = random.Random(seed)
    wide = punct != PUNCT  # other letters too: Spanish aliases, accented filler
    vocab = [w for a in matcher.aliases for w in WORD_RE.findall(a.text) if wide or w.isascii()]
    filler = FILLER + (WIDE_FILLER if wide else ())
    out = []
    for _ in range(n):
        words, dense = [], rng.choice((0.6, 0.05))  # sparse ones test the screen's "no"
        for _ in range(rng.randint(3, 40)):
            word = rng.choice(vocab) if rng.random() < dense else rng.choice(filler)
            if rng.random() < 0.2:
                word = _typo(rng, word)
            word = rng.choice((word, word.lower(), word.upper(), word.capitalize()))
            if wide and rng.random() < 0.1:  # a letter beyond ASCII glued on: another word
                word = rng.choice(("\u00e9", "\u00d1", "\u4e2d")) + word
            words.append(word + rng.choice(punct))
        out.append("".join(words).strip())
    return out


def _both_paths(matcher: Matcher, text: str) -> tuple[list, list]:
    found = matcher._field_candidates("summary", text)
    fast = [(a.order, s, e, t, found[0].span(s)) for a, s, e, t in found[1]] if found else []
    field = FieldWords("summary", text, WORD_RE.findall(text), matcher._lookup)
    ref = [(a.order, s, e, t, field.spans[s])
           for a, s, e, t in matcher._candidates(field, "-" in text)]
    return fast, ref  # in order: it decides which of two equal hits is shown


@pytest.mark.parametrize("punct", [PUNCT, PUNCT + WIDE_PUNCT], ids=["ascii", "wide-punctuation"])
@pytest.mark.parametrize("source", ["shipped", "generated"])
def test_fast_path_equals_reference_scan(source: str, punct: tuple[str, ...]) -> None:
    if source == "shipped":
        matcher = Matcher(load_watchlists(ROOT / "watchlists"))
    else:
        rng = random.Random(5)
        names = [f"{w}{rng.choice(('ton', 'ville', 'corp'))}" for w in
                 ("Kamiven", "Brisol", "Torvax", "Melnor", "Quaddo", "Zentrik")]
        entities = tuple(Entity(name=f"{n} Group", aliases=(n, f"{n} {m} Holdings"))
                         for n, m in zip(names, reversed(names), strict=True))
        matcher = Matcher([Watchlist("W", "", entities, "w.toml")])
    compared = 0
    for text in _stories(matcher, 600, seed=len(source), punct=punct):
        fast, ref = _both_paths(matcher, text)
        assert fast == ref, text
        compared += len(ref)
    assert compared > 500  # the stories really do hold many candidates


def test_fast_path_offsets_and_hits_match_the_text() -> None:
    matcher = Matcher(load_watchlists(ROOT / "watchlists"))
    text = ("NICE, nICE: ICEd. The ICE officers and Wayfiar. Then ICE agents again: "
            "GEO Group (GEO).")
    hits = {h.entity: h for h in matcher.match("Police report", text)}
    assert hits["ICE"].start == text.index("ICE officers")
    assert set(hits) == {"ICE", "Wayfair", "GEO Group"}
    for hit in hits.values():
        assert text[hit.start:hit.end] == hit.matched
    assert hits["Wayfair"].matched == "Wayfiar"


@pytest.mark.parametrize("text", [
    "\u201cICE\u201d agents\u2014and Wayfiar\u2019s staff\u00a0\u2026 GEO Group \u00abGEO\u00bb.",
    "Ni\u00f1os: la se\u00f1al de ICE \u2014 seg\u00fan CoreCivic y Wayfiar, caf\u00e9 GEO Group.",
], ids=["wide-punctuation", "other-letters"])
def test_text_beyond_ascii_takes_the_fast_path_with_the_texts_offsets(text: str) -> None:
    matcher = Matcher(load_watchlists(ROOT / "watchlists"))
    field, _ = matcher._field_candidates("summary", text)
    assert isinstance(field.words[0], bytes)  # not the word-by-word scan
    hits = {h.entity: h for h in matcher.match("Police report", text)}
    assert {"ICE", "Wayfair", "GEO Group"} <= set(hits)
    for hit in hits.values():
        assert text[hit.start:hit.end] == hit.matched
    assert hits["ICE"].start == text.index("ICE") and hits["Wayfair"].matched == "Wayfiar"


def test_a_one_word_name_beyond_ascii_is_quoted_whole() -> None:
    entity = Entity(name="Polic\u00eda Federal", aliases=("Polic\u00eda",))
    matcher = Matcher([Watchlist("W", "", (entity,), "w.toml")])
    text = "\u201cLa Polic\u00eda\u201d detuvo a ni\u00f1os."
    hits = matcher.match("Informe", text)
    assert [(h.matched, h.start, h.end) for h in hits] == [("Polic\u00eda", 4, 11)]
    text = "La Polic\u00eda detuvo; la Polic\u00eda-Federal tambi\u00e9n."
    field, found = matcher._field_candidates("summary", text)
    assert isinstance(field.words[0], bytes)  # the fast path, hyphenated name and all
    assert [(a.text, a.variant, s, e) for a, s, e, _ in found] == [
        ("Polic\u00eda", "", 1, 2), ("Polic\u00eda Federal", "", 4, 6),
        ("Polic\u00eda", "", 4, 5), ("Polic\u00eda Federal", "joined", 4, 6)]


def test_words_as_bytes_are_located_without_the_fields_bytes() -> None:
    text = "\u201cICE\u201d and ICE"
    field = FieldWords("summary", text, [b"ICE", b"and", b"ICE"], lambda w: (w, {}))
    assert [field.span(i) for i in range(3)] == [(1, 4), (6, 9), (10, 13)]
    wrong = FieldWords("summary", text, [b"ICE"], lambda w: (w, {}), data=b"no such word")
    assert wrong.span(0) == (1, 4)  # falls back to locating every word
