"""Queries made from the watchlists' rules, in each provider's syntax and length limit."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from monitor.config.search import SearchConfig
from monitor.config.watchlists import Entity, Watchlist, load_watchlists
from monitor.sources.base import SourceRecord
from monitor.sources.search.configured import search_sources
from monitor.sources.search.kinds import BING_NEWS, GDELT, GOOGLE_NEWS
from monitor.sources.search.providers import PROVIDERS
from monitor.sources.search.queries import entity_queries, watchlist_queries
from tests.support.helpers import WATCHLISTS
from tests.support.search_providers import gdelt_syntax_error, matches

ICE = next(w for w in load_watchlists(WATCHLISTS) if w.name == "ICE")


def _terms(text: str) -> list[str]:
    """The positive top-level groups of a rendered query, as sets of lower-case terms."""
    import re
    groups, current = [], None
    for token in re.findall(r'-?"[^"]*"|\(|\)|[^\s()"]+', text):
        if token == "(":
            current = []
        elif token == ")":
            groups.append(current)
            current = None
        elif token != "OR" and ":" not in token and not token.startswith("-"):
            (current if current is not None else groups.append([]) or groups[-1]).append(
                token.strip('"'))
    return groups


def test_a_case_sensitive_acronym_is_never_searched_alone():
    for provider in PROVIDERS.values():
        for query in watchlist_queries([ICE]):
            for text in provider.texts(query, "en-US"):
                groups = _terms(text)
                if ["ICE"] in groups:
                    assert len(groups) == 2, text  # with a group of context words
                assert groups != [["ICE"]], text


def test_an_alias_that_needs_context_is_searched_with_its_context_words():
    entity = Entity(name="GEO Group", aliases=("GEO Care",), require_context=("GEO Care",),
                    context=("detention", "prison*"))
    plain, bound = entity_queries("GEO", entity)
    assert plain.any_of == ("GEO Group",) and not plain.context
    assert bound.any_of == ("GEO Care",) and bound.context == ("detention",)  # no wildcards
    assert PROVIDERS["google-news"].render(bound, "en-US") == '"GEO Care" detention'


def test_exclude_phrases_become_the_providers_not():
    entity = Entity(name="Amazon", exclude_phrases=("Amazon rainforest", "Vanilla Ice"))
    (query,) = entity_queries("Amazon", entity)
    assert query.exclude == ("Amazon rainforest",)  # only the phrases that veto its names
    for name in PROVIDERS:
        assert '-"Amazon rainforest"' in PROVIDERS[name].render(query, "en-US")


def test_a_query_over_the_limit_is_split_and_every_part_fits():
    aliases = tuple(f"Firm Number {i}" for i in range(60))
    entity = Entity(name="Contractor", aliases=aliases)
    (query,) = entity_queries("W", entity)
    for provider in PROVIDERS.values():
        texts = provider.texts(query, "en-US")
        assert len(texts) > 1 and all(len(t) <= provider.max_query for t in texts)
        found = {term for t in texts for group in _terms(t) for term in group}
        assert found == {"Contractor", *aliases}  # nothing lost in the split
        if provider.name == "gdelt":
            assert all(gdelt_syntax_error(t) is None for t in texts)


def test_gdelt_syntax_is_accepted_by_gdelts_rules_for_every_shipped_query():
    for query in watchlist_queries(load_watchlists(WATCHLISTS)):
        for edition in ("en-US", "es-US"):
            for text in PROVIDERS["gdelt"].texts(query, edition):
                assert gdelt_syntax_error(text) is None, text


def test_the_requests_are_the_providers_documented_ones():
    specs = search_sources([SearchConfig(provider=p, editions=("en-US", "es-US"))
                            for p in PROVIDERS], [ICE])
    by_kind = {}
    for spec in specs:
        by_kind.setdefault((spec.kind, spec.params["edition"]), spec)
    google = GOOGLE_NEWS.request(SourceRecord(1, "k", by_kind["google-news", "en-US"].params))
    url = urlsplit(google.url)
    assert (url.scheme, url.netloc, url.path) == ("https", "news.google.com", "/rss/search")
    assert "hl=en-US&gl=US&ceid=US:en" in url.query
    assert parse_qs(url.query)["q"][0] == by_kind["google-news", "en-US"].params["query"]
    es = urlsplit(GOOGLE_NEWS.request(
        SourceRecord(1, "k", by_kind["google-news", "es-US"].params)).url)
    assert "hl=es-US&gl=US&ceid=US:es" in es.query
    bing = urlsplit(BING_NEWS.request(
        SourceRecord(1, "k", by_kind["bing-news", "es-US"].params)).url)
    assert (bing.netloc, bing.path) == ("www.bing.com", "/news/search")
    assert {k: v[0] for k, v in parse_qs(bing.query).items() if k != "q"} == {
        "format": "RSS", "setmkt": "es-US"}
    gdelt = urlsplit(GDELT.request(SourceRecord(1, "k", by_kind["gdelt", "en-US"].params)).url)
    assert (gdelt.netloc, gdelt.path) == ("api.gdeltproject.org", "/api/v2/doc/doc")
    params = {k: v[0] for k, v in parse_qs(gdelt.query).items()}
    assert params["mode"] == "ArtList" and params["format"] == "json"
    # adaptive polling may slow a quiet query to 4 × 30m: the search reaches back 5 × 30m
    assert params["maxrecords"] == "250" and params["timespan"] == "150min"
    slowest = search_sources([SearchConfig(provider="gdelt")], [ICE], slowest=3 * 3600.0)
    assert slowest[0].params["lookback"] == 3 * 3600.0 + 1800.0
    assert "sourcelang:english" in params["query"]


def test_one_source_per_query_and_edition_and_none_repeated():
    watchlists = load_watchlists(WATCHLISTS)
    specs = search_sources([SearchConfig(provider="bing-news", editions=("en-US", "es-US")),
                            SearchConfig(provider="bing-news")], watchlists)
    texts = [t for q in watchlist_queries(watchlists)
             for t in PROVIDERS["bing-news"].texts(q, "en-US")]
    assert len(specs) == 2 * len(texts) == len({s.key for s in specs})
    only = search_sources([SearchConfig(provider="gdelt", watchlists=("Wayfair",))], watchlists)
    assert {s.params["watchlist"] for s in only} == {"Wayfair"}


def test_the_loopback_engine_returns_the_trap_our_matcher_refuses():
    wl = Watchlist("ICE", "", (ICE.entities[0],), "ice.toml")
    texts = [t for q in watchlist_queries([wl]) for t in PROVIDERS["google-news"].texts(q, "en-US")]
    assert any(matches(t, "Thin ice at the border: the lake crossing is closed") for t in texts)
    assert not any(matches(t, "Ice storm traps drivers at the border") for t in texts)  # NOT
