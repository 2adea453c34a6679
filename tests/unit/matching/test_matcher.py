"""Matcher behaviour: normalisation, rules, explanations, and dev-set quality."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config.watchlists import Entity, Watchlist, load_watchlists
from monitor.matching import Match, Matcher
from monitor.matching.normalize import is_all_caps, match_text
from monitor.text import html_to_text

ROOT = Path(__file__).resolve().parents[3]
DEV = ROOT.parent / "shared" / "match-dev.jsonl"
ENTITIES = ("Amazon", "ICE", "Wayfair", "CoreCivic", "GEO Group")


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlists(ROOT / "watchlists"))


def names(hits: list[Match]) -> set[str]:
    return {h.entity for h in hits}


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("ICE's new detention rules", "", {"ICE"}),
        ("Amazon’s profits rise", "", {"Amazon"}),
        ("Immigration & Customs Enforcement issues subpoenas", "", {"ICE"}),
        ("Servicio de Inmigración y Control de Aduanas", "", {"ICE"}),
        ("Servicio de Inmigracion y Control de Aduanas", "", {"ICE"}),
        ("Ex-Corrections Corp. of America official", "", {"CoreCivic"}),
        ("Protest outside Core-Civic prison", "", {"CoreCivic"}),
        ("the state hired geo group", "", {"GEO Group"}),
        ("CORECIVIC SETTLES LAWSUIT", "", {"CoreCivic"}),
        ("Wayfair, Inc. prices notes", "", {"Wayfair"}),
        ("Amazon.com Inc. files permit", "", {"Amazon"}),
    ],
)
def test_variants_need_no_rules(matcher: Matcher, title: str, summary: str,
                                expected: set[str]) -> None:
    assert names(matcher.match(title, summary)) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Wayfiar delays supplier payments", {"Wayfair"}),
        ("Amaozn raises Prime price", {"Amazon"}),
        ("Immigration and Customs Enforcment tightens rules", {"ICE"}),
        ("GEO Gorup expands facility", {"GEO Group"}),
        ("Ray-Ban Wayfarer sunglasses return", set()),
        ("Venezuela's Amazonas state", set()),
        ("ICY roads close schools", set()),
        ("NICE guidance on drugs", set()),
    ],
)
def test_typos_scale_with_length_and_spare_acronyms(matcher: Matcher, title: str,
                                                    expected: set[str]) -> None:
    assert names(matcher.match(title)) == expected


def test_case_rule_for_acronym(matcher: Matcher) -> None:
    assert names(matcher.match("Ice storm closes schools")) == set()
    assert names(matcher.match("Freezing rain leaves ice on power lines")) == set()
    assert names(matcher.match("ICE detains ice sculptor")) == {"ICE"}
    assert names(matcher.match("Tenants say landlord threatened to call ice")) == {"ICE"}


def test_all_caps_headline_needs_context(matcher: Matcher) -> None:
    assert is_all_caps("ICE STORM KNOCKS OUT POWER ACROSS TEXAS")
    assert names(matcher.match("ICE STORM KNOCKS OUT POWER ACROSS TEXAS")) == set()
    assert names(matcher.match("ICE DETAINS 40 AT PLANT", "Immigration agents arrived.")) == {"ICE"}


def test_story_vetoes_only_touch_weak_aliases(matcher: Matcher) -> None:
    assert names(matcher.match("ICE data show record bond orders",
                               "Figures from Intercontinental Exchange.")) == set()
    both = matcher.match("Immigration and Customs Enforcement buys software",
                         "Intercontinental Exchange reported nothing.")
    assert names(both) == {"ICE"}


def test_local_phrase_vetoes_only_their_occurrence(matcher: Matcher) -> None:
    assert names(matcher.match("Amazon rainforest fires rise")) == set()
    assert names(matcher.match("Amazon Watch protesters disrupt Amazon shareholder meeting")) == {
        "Amazon"}
    assert names(matcher.match("Gold mining poisons rivers in the Amazon, study finds")) == set()


def test_required_context(matcher: Matcher) -> None:
    assert names(matcher.match("Prison operator GEO cuts debt")) == {"GEO Group"}
    assert names(matcher.match("The GEO spacecraft will watch cyclones")) == set()
    assert names(matcher.match("CCA's rise", "Corrections history of the private prison")) == {
        "CoreCivic"}
    assert names(matcher.match("Coastal Conservation Association (CCA) sinks reef")) == set()


def test_hit_explains_itself(matcher: Matcher) -> None:
    [hit] = matcher.match("Shareholders vote", "Critics say <b>Wayfair&#39;s</b> plan is weak.")
    text = match_text("Critics say <b>Wayfair&#39;s</b> plan is weak.")
    assert (hit.watchlist, hit.entity, hit.alias, hit.field) == ("Wayfair", "Wayfair", "Wayfair",
                                                                 "summary")
    assert text[hit.start:hit.end] == hit.matched == "Wayfair"
    assert hit.score == 1.0 and hit.rule == "exact"
    assert hit.context == "Critics say Wayfair's plan is weak."


def test_one_hit_per_entity_prefers_title(matcher: Matcher) -> None:
    hits = matcher.match("Amazon expands", "Amazon said the Amazon hub opens soon.")
    assert [(h.entity, h.field) for h in hits] == [("Amazon", "title")]


def test_explain_reports_vetoes(matcher: Matcher) -> None:
    hits, misses = matcher.explain("Ice hockey league adds teams")
    assert hits == []
    [miss] = misses
    assert (miss.entity, miss.rule, miss.matched) == ("ICE", "case_sensitive", "Ice")
    _, misses = matcher.explain("Amazon rainforest at tipping point")
    assert [(m.rule, m.reason) for m in misses] == [
        ("exclude_phrases", "inside 'Amazon rainforest'")]


def test_fields_rule() -> None:
    entity = Entity(name="Acme Widgets", fields=("title",))
    matcher = Matcher([Watchlist("W", "", (entity,), "w.toml")])
    assert names(matcher.match("Acme Widgets opens plant")) == {"Acme Widgets"}
    hits, misses = matcher.explain("Plant opens", "Acme Widgets said")
    assert hits == [] and misses[0].rule == "fields"


def test_typo_tolerance_off() -> None:
    entity = Entity(name="Wayfair", typo_tolerance=0)
    matcher = Matcher([Watchlist("W", "", (entity,), "w.toml")])
    assert matcher.match("Wayfaire pays late") == []
    assert names(matcher.match("Wayfair pays late")) == {"Wayfair"}


def test_cost_does_not_depend_on_entity_count() -> None:
    big = tuple(Entity(name=f"Company{i:05d} Holdings") for i in range(2000))
    matcher = Matcher([Watchlist("W", "", big, "w.toml")])
    assert [h.entity for h in matcher.match("Company01234 Holdings posts results")] == [
        "Company01234 Holdings"]


def _dev_items() -> list[dict]:
    if not DEV.is_file():
        pytest.skip(f"dev set {DEV} is absent")
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


def test_dev_set_quality(matcher: Matcher) -> None:
    counts = {e: [0, 0, 0] for e in ENTITIES}
    for item in _dev_items():
        got = names(matcher.match(item["title"], item.get("summary", "")))
        gold = set(item["expected"])
        for e in ENTITIES:
            counts[e][0] += e in got and e in gold
            counts[e][1] += e in got and e not in gold
            counts[e][2] += e in gold and e not in got

    def f1(tp: int, fp: int, fn: int) -> float:
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    micro = f1(*(sum(c[i] for c in counts.values()) for i in range(3)))
    assert micro >= 0.95, counts
    for entity, c in counts.items():
        assert f1(*c) >= 0.90, (entity, c)


def test_function_words_alone_do_not_open_the_screen(matcher):
    """"the", "of", "to" are alias words ("The GEO Group", "report to ICE") but every story
    has them: a story with nothing else is rejected at the screen, and aliases that hold
    them still match."""
    assert not matcher._hot_chunks(b"The mayor of the city went to the vote and spoke at a rally")
    assert names(matcher.match("Shares of The GEO Group rise")) == {"GEO Group"}
    assert names(matcher.match("Hotline urges residents to report to ICE")) == {"ICE"}


def test_snippets_are_cut_between_words_and_marked(matcher):
    words = " ".join(f"alpha{n:02d}" for n in range(30))
    [hit] = matcher.match(
        "Report", content=f"{words} Wayfair sold beds {words}")
    assert hit.context.startswith("…") and hit.context.endswith("…")
    inner = hit.context.strip("…").split()
    assert all(w.startswith("alpha") and len(w) == 7 for w in inner if w not in
               ("Wayfair", "sold", "beds")), hit.context


def test_match_text_is_html_to_text_but_keeps_plain_offsets_and_straightens_quotes() -> None:
    markup = "Critics say <b>Wayfair\u2019s</b>  plan&nbsp;is weak."
    assert match_text(markup) == html_to_text(markup).replace("\u2019", "'")
    plain = "  GEO\u2011Group\u2019s  plan "
    assert match_text(plain) == "  GEO-Group's  plan "
    assert html_to_text(plain) == "GEO\u2011Group\u2019s plan"
