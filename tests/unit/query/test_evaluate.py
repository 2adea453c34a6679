"""Queries over stories: words, phrases, prefixes, NEAR/n, and entity terms meaning what the
real matcher found (ICE the agency, never an ice storm)."""

from __future__ import annotations

import pytest

from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher
from monitor.query import Query, stored_document, story_document
from tests.support.helpers import WATCHLISTS

CAMPAIGN = 'Amazon AND (ICE OR "Homeland Security" OR detention*) AND NOT "Prime Day"'


@pytest.fixture(scope="module")
def watchlists():
    return load_watchlists(WATCHLISTS)


@pytest.fixture(scope="module")
def matcher(watchlists):
    return Matcher(watchlists)


@pytest.fixture(scope="module")
def names(watchlists):
    return {w.name for w in watchlists} | {e.name for w in watchlists for e in w.entities}


def holds(query: str, names, matcher, title: str, summary: str = "", content: str = "") -> bool:
    matches = matcher.match(title, summary, content)
    return Query(query, names).matches(story_document(title, summary, content, matches))


def test_the_campaign_query_keeps_amazon_and_ice_and_drops_prime_day(names, matcher):
    assert holds(CAMPAIGN, names, matcher,
                 "Amazon Web Services renews contract with ICE",
                 "The cloud deal supports Immigration and Customs Enforcement.")
    assert holds(CAMPAIGN, names, matcher, "Amazon cloud deal raises detentions questions")
    assert not holds(CAMPAIGN, names, matcher,
                     "Amazon Prime Day deals: the best ICE agents' boots", "")
    assert not holds(CAMPAIGN, names, matcher, "Amazon opens a warehouse in Ohio")


def test_an_entity_term_is_what_the_matcher_found_not_the_word(names, matcher):
    assert holds("ICE", names, matcher, "ICE agents detain 12 at a plant")
    assert not holds("ICE", names, matcher, "Ice storm closes schools across Ohio")
    assert not holds("ice", names, matcher, "An ice storm closes schools")  # any case: the agency
    assert holds('"ice"', names, matcher, "An ice storm closes schools")  # quoted: the word
    assert holds('"GEO Group" AND NOT CoreCivic', names, matcher, "GEO Group opens a center")
    assert not holds("Amazon", names, matcher, "Fires spread in the Amazon rainforest")


def test_text_terms_are_whole_words_any_case_or_accent(names, matcher):
    assert holds("detention", names, matcher, "New DETENTION center")
    assert not holds("detention", names, matcher, "New detentions reported")
    assert holds("detention*", names, matcher, "New detentions reported")
    assert holds("detencion", names, matcher, "Centro de detención en Texas")
    assert holds('"homeland security"', names, matcher, "Homeland-Security budget grows")
    assert not holds('"security homeland"', names, matcher, "Homeland Security budget grows")
    assert holds('"detention cent*"', names, matcher, "A detention centre opens")


def test_near_counts_the_words_between_in_either_order(names, matcher):
    title = "ICE said on Monday that detention beds are full"
    assert holds("ICE NEAR/4 detention", names, matcher, title)  # said on Monday that
    assert not holds("ICE NEAR/3 detention", names, matcher, title)
    assert holds("detention NEAR/4 ICE", names, matcher, title)
    assert holds("beds NEAR/0 full", names, matcher, "beds are full") is False
    assert holds("beds NEAR/1 full", names, matcher, "beds are full")
    assert holds('(raid OR detention) NEAR/4 ICE', names, matcher, title)
    assert holds('"detention beds" NEAR/4 ICE', names, matcher, title)
    assert holds("ICE NEAR/2 Monday NEAR/3 beds", names, matcher, title)


def test_an_entity_inside_near_stands_where_the_matcher_found_it(names, matcher):
    # The agency is found by its full name at the end; "ice" at the start is a storm.
    title = "Ice storm hits Texas as Immigration and Customs Enforcement expands detention"
    assert holds("ICE NEAR/1 detention", names, matcher, title)
    assert not holds("ICE NEAR/1 storm", names, matcher, title)
    assert holds('"ice" NEAR/1 storm', names, matcher, title)


def test_near_never_joins_two_fields(names, matcher):
    assert not holds("raid NEAR/5 Texas", names, matcher, "A raid", "Texas officials")
    assert holds("raid AND Texas", names, matcher, "A raid", "Texas officials")


def test_a_stored_story_finds_its_hits_where_their_text_stands(names):
    class Hit:
        watchlist, entity, field, matched = "ICE", "ICE", "summary", "ICE"

    doc = stored_document("Raid in Texas", "Officers of ICE said detention beds are full", [Hit()])
    assert Query("ICE NEAR/2 detention", names).matches(doc)
    assert not Query("ICE NEAR/2 full", names).matches(doc)
    assert Query("ICE AND NOT Amazon", names).matches(doc)
