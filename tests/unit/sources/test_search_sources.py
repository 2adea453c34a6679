"""Search sources end to end against loopback providers that answer as the real ones: the
documented requests, every result through our matcher, outlets, GDELT's refusals and pacing,
429 pauses, and sources the config no longer asks for."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.pipeline import fetch
from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.fetch import FetchRequest, ProviderGate
from monitor.service.runtime import Runtime, load_runtime
from monitor.sources.base import SourceRecord
from monitor.sources.search.kinds import BING_NEWS, GDELT, GOOGLE_NEWS
from storage import Feed, Hit, Story, connect
from tests.support.helpers import run_cli
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.search_providers import SearchProviders
from tests.support.search_providers import Story as Result

ICE_LITE = """name = "ICE"
[[entities]]
name = "ICE"
aliases = ["Immigration and Customs Enforcement"]
case_sensitive = ["ICE"]
context = ["detention", "border"]
exclude_phrases = ["ice storm"]
"""
TRUE = Result("ICE detention center in Texas holds 900 people", "https://www.texastribune.org/2026/11/30/ice-detention/",
              "The Texas Tribune", "https://www.texastribune.org",
              summary="Immigration and Customs Enforcement expanded the site.")
TRAP = Result("Thin ice at the border: the lake crossing is closed",
              "https://www.lakenews.example/thin-ice", "Lake News", "https://www.lakenews.example")


@pytest.fixture(autouse=True)
def fresh_gate(monkeypatch) -> None:
    """Pauses and pacing are process-wide: each test starts with none."""
    monkeypatch.setattr(fetch, "GATE", ProviderGate())


@pytest.fixture
def engines() -> Iterator[SearchProviders]:
    server = SearchProviders().start()
    yield server
    server.stop()


def write_search_config(tmp: Path, searches: str, watchlists: dict[str, str] | None = None,
                        subscribers: str = "", storage_url: str | None = None) -> Path:
    folder = tmp / "watchlists"
    folder.mkdir(exist_ok=True)
    for name, text in (watchlists or {"ice": ICE_LITE}).items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    path = tmp / "config.toml"
    path.write_text(f"""[storage]
url = "{storage_url or f'sqlite:///{tmp / "monitor.db"}'}"
[watchlists]
dir = "{folder}"
[polling]
timeout = "10s"
backlog = "off"
{searches}
{subscribers}
""", encoding="utf-8")
    return path


def search_table(provider: str, base: str, extra: str = "") -> str:
    return f'[[search]]\nprovider = "{provider}"\nbase_url = "{base}"\n{extra}\n'


def runtime(path: Path) -> Runtime:
    return load_runtime(path)


def test_each_provider_is_asked_as_documented_and_every_result_goes_through_our_matcher(
        tmp_path, engines, any_url):  # noqa: F811
    connect(any_url).dispose()  # creates the schema (PostgreSQL waits for an upgrade)
    engines.stories += [TRUE, TRAP]
    searches = "".join(search_table(p, engines.base, 'editions = ["en-US", "es-US"]')
                       for p in ("google-news", "bing-news"))
    searches += search_table("gdelt", engines.base)
    rt = runtime(write_search_config(tmp_path, searches, storage_url=any_url))
    try:
        stats = poll_cycle(rt, force=True)
        assert stats.feeds_failed == 0
        google = [p for _, p in engines.of("google-news")]
        assert {(p["hl"], p["gl"], p["ceid"]) for p in google} == {
            ("en-US", "US", "US:en"), ("es-US", "US", "US:es")}
        assert {(p["format"], p["setmkt"]) for _, p in engines.of("bing-news")} == {
            ("RSS", "en-US"), ("RSS", "es-US")}
        gdelt = [p for _, p in engines.of("gdelt")]
        assert all(p["mode"] == "ArtList" and p["format"] == "json"
                   and p["maxrecords"] == "250" for p in gdelt)
        assert not any(p["q"].strip() == "ICE" for p in google)  # never alone
        with rt.db.session() as s:
            stories = s.scalars(select(Story)).all()
            trap = [st for st in stories if "Thin ice" in st.title]
            true = [st for st in stories if "detention center" in st.title]
            assert trap and true  # the engines returned both; both are stored
            hit_stories = {h.story_id for h in s.scalars(select(Hit))}
            assert not {st.id for st in trap} & hit_stories  # the trap is never a hit
            assert {st.id for st in true} <= hit_stories
            kinds = {f.kind for f in s.scalars(select(Feed))}
            assert kinds == {"google-news", "bing-news", "gdelt"}
    finally:
        rt.close()


def _answer(url: str) -> list:
    """The kind's parse of a loopback answer fetched over HTTP."""
    import urllib.request
    with urllib.request.urlopen(url) as resp:  # noqa: S310 - loopback
        return resp.read()


def test_outlets_come_from_source_news_source_and_the_gdelt_domain(engines):
    from monitor.sources.base import Response
    engines.stories.append(TRUE)
    engines.gdelt_gap = 0
    params = {"base_url": engines.base, "query": "detention", "edition": "en-US",
              "interval": 1800.0}
    for kind, outlet in ((GOOGLE_NEWS, "The Texas Tribune"), (BING_NEWS, "The Texas Tribune"),
                         (GDELT, "texastribune.org")):
        url = kind.request(SourceRecord(1, "k", params)).url
        parsed = kind.parse([Response(url, 200, {}, _answer(url))], params)
        (entry,) = parsed.entries
        assert entry.outlet == outlet and parsed.error is None
        if kind is GOOGLE_NEWS:
            assert entry.outlet_site == "https://www.texastribune.org"
            assert entry.title == TRUE.title  # " - The Texas Tribune" stripped
        assert entry.published is not None
    bing = BING_NEWS.parse([Response("u", 200, {}, _answer(
        BING_NEWS.request(SourceRecord(1, "k", params)).url))], params).entries[0]
    assert bing.link == TRUE.url and bing.key == TRUE.url  # unwrapped; same key whatever tid


def test_gdelt_refusing_the_syntax_is_that_querys_error(tmp_path, engines):
    from monitor.sources.base import Response
    params = {"base_url": engines.base, "query": "ICE OR detention", "edition": "en-US",
              "interval": 1800.0}
    url = GDELT.request(SourceRecord(1, "k", params)).url
    parsed = GDELT.parse([Response(url, 200, {}, _answer(url))], params)
    assert parsed.entries == [] and "surrounded by ()" in (parsed.error or "")


FIVE = {f"w{i}": f'name = "W{i}"\n[[entities]]\nname = "Contractor {i}"\n' for i in range(5)}


def test_gdelt_pacing_holds_across_five_watchlists(tmp_path, engines):
    engines.stories.append(Result("Contractor 3 wins award", "https://a.example/3", "A",
                                  "https://a.example"))
    rt = runtime(write_search_config(tmp_path, search_table("gdelt", engines.base), FIVE))
    try:
        poll_cycle(rt, force=True)
    finally:
        rt.close()
    times = [t for t, _ in engines.of("gdelt")]
    assert len(times) == 5  # one query per watchlist, all five paced as one
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 5.0, gaps  # the loopback GDELT answers 429 below 5 s
    with load_runtime(tmp_path / "config.toml").db.session() as s:
        assert {f.state for f in s.scalars(select(Feed))} == {"ok"}


def test_a_429_pauses_every_query_of_that_provider_until_retry_after(tmp_path, engines):
    engines.throttle["bing-news"] = [1, "120"]
    searches = (search_table("bing-news", engines.base, 'editions = ["en-US", "es-US"]')
                + search_table("google-news", engines.base))
    rt = runtime(write_search_config(tmp_path, searches))
    try:
        started = time.time()
        poll_cycle(rt, force=True)
        assert len(engines.of("bing-news")) == 1  # the other queries were not sent
        assert len(engines.of("google-news")) == 2  # another provider goes on
        with rt.db.session() as s:
            bing = s.scalars(select(Feed).where(Feed.kind == "bing-news")).all()
            assert len(bing) == 4 and all(f.state == "failing" for f in bing)
            assert all(f.next_poll_at.timestamp() >= started + 119 for f in bing)
            assert sum("paused" in (f.last_error or "") for f in bing) == 3
        poll_cycle(rt, force=True)  # still paused: nothing sent
        assert len(engines.of("bing-news")) == 1
    finally:
        rt.close()


def test_a_429_without_retry_after_backs_off_exponentially():
    gate = ProviderGate()
    first = gate.throttled("bing-news", None)
    second = gate.throttled("bing-news", None)
    assert second == 2 * first and gate.paused("bing-news") > first
    gate.answered("bing-news")
    assert gate.throttled("bing-news", None) == first
    assert gate.throttled("gdelt", 7.0) == 7.0


def test_pacing_is_held_by_the_process_not_by_one_cycle(engines):
    import asyncio

    from monitor.config import PollingConfig
    engines.gdelt_gap = 0.5
    params = {"base_url": engines.base, "query": "x", "edition": "en-US", "interval": 1800.0}
    reqs = [FetchRequest.of(SourceRecord(i, f"k{i}", params), GDELT) for i in range(2)]
    asyncio.run(fetch.fetch_all(reqs[:1], PollingConfig()))
    asyncio.run(fetch.fetch_all(reqs[1:], PollingConfig()))  # a new loop, a new Slots
    first, second = (t for t, _ in engines.of("gdelt"))
    assert second - first >= 5.0


def test_search_sources_no_longer_configured_are_not_polled(tmp_path, engines,
                                                           any_url):  # noqa: F811
    connect(any_url).dispose()
    path = write_search_config(tmp_path, search_table("google-news", engines.base),
                               storage_url=any_url)
    rt = runtime(path)
    poll_cycle(rt, force=True)
    rt.close()
    assert len(engines.of("google-news")) == 2
    write_search_config(tmp_path, search_table("bing-news", engines.base), storage_url=any_url)
    rt = runtime(path)
    try:
        poll_cycle(rt, force=True)
    finally:
        rt.close()
    assert len(engines.of("google-news")) == 2 and len(engines.of("bing-news")) == 2
    out = run_cli("--config", str(path), "feeds", "--format", "json")
    records = json.loads(out.stdout)
    assert {r["kind"] for r in records} == {"bing-news"}
    assert all(r["params"]["edition"] == "en-US" and r["params"]["query"] for r in records)
    table = run_cli("--config", str(path), "feeds").stdout
    assert "Bing News en-US: ICE" in table and "detention" in table


def test_check_refuses_bad_search_tables_at_their_line(tmp_path):
    path = write_search_config(tmp_path, """[[search]]
provider = "google-newz"
[[search]]
provider = "gdelt"
editions = ["english"]
watchlists = ["ICE", "Nope"]
interval = "1m"
base_url = "ftp://example.org"
[[search]]
watchlists = ["ICE"]
""")
    out = run_cli("--config", str(path), "check")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    lines = path.read_text().splitlines()

    def line_of(start: str, after: int = 0) -> int:
        return next(n for n, text in enumerate(lines, 1) if n > after and text.startswith(start))

    second = line_of("[[search]]", line_of("[[search]]"))
    for line, message in ((line_of('provider = "google-newz"'),
                           "unknown search provider 'google-newz' (did you mean 'google-news'?)"),
                          (line_of("editions"), "edition 'english' is not language-COUNTRY"),
                          (line_of("watchlists = [\"ICE\", \"Nope\"]"),
                           "[[search]] names unknown watchlist 'Nope'"),
                          (line_of("interval"), "interval must be at least 5m"),
                          (line_of("base_url"), "base_url must be an http:// or https:// URL"),
                          (line_of("[[search]]", second), "search is missing 'provider'")):
        assert f"config.toml:{line}: {message}" in text, (line, message, text)


def test_a_cycle_takes_only_its_budget_of_gdelt_and_leaves_the_rest_due(tmp_path, engines,
                                                                        monkeypatch):
    from monitor.pipeline import claims
    monkeypatch.setattr(claims, "PACED_BUDGET_S", 5.5)  # one GDELT request per cycle
    two = {k: FIVE[k] for k in ("w0", "w1")}
    searches = search_table("gdelt", engines.base) + search_table("google-news", engines.base)
    rt = runtime(write_search_config(tmp_path, searches, two))
    try:
        first = poll_cycle(rt)
        assert (len(engines.of("gdelt")), len(engines.of("google-news"))) == (1, 2)
        assert first.feeds_polled == 3  # the other GDELT source was not held up waiting
        with rt.db.session() as s:
            due = [f for f in s.scalars(select(Feed).where(Feed.kind == "gdelt"))
                   if f.last_polled_at is None]
            assert len(due) == 1 and due[0].lease_owner is None  # still due, not leased
        poll_cycle(rt)  # the next cycle takes it
        assert (len(engines.of("gdelt")), len(engines.of("google-news"))) == (2, 2)
    finally:
        rt.close()


def test_one_story_from_its_outlet_google_bing_and_gdelt_is_stored_once_and_alerted_once(
        tmp_path, engines):
    from storage import Delivery, StorySource
    from tests.support.servers import FeedServer
    own = FeedServer().start()
    try:
        own.add("/rss", f"""<?xml version="1.0"?><rss version="2.0"><channel>
<title>The Texas Tribune</title><link>https://www.texastribune.org</link>
<item><title>{TRUE.title}</title><link>{TRUE.url}</link><guid>{TRUE.url}</guid>
<pubDate>{TRUE.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>
<description>{TRUE.summary}</description></item></channel></rss>""".encode())
        engines.stories.append(TRUE)
        searches = "".join(search_table(p, engines.base)
                           for p in ("google-news", "bing-news", "gdelt"))
        feed = f'[[feeds]]\nurl = "{own.url("/rss")}"\nname = "Texas Tribune"\n'
        subscriber = '[[subscribers]]\nname = "desk"\nnotify = ["json://127.0.0.1:9/hook"]\n'
        rt = runtime(write_search_config(tmp_path, searches + feed, subscribers=subscriber))
        try:
            poll_cycle(rt, force=True)
            with rt.db.session() as s:
                (story,) = s.scalars(select(Story)).all()
                sources = s.scalars(select(StorySource)).all()
                kinds = {src.feed.kind for src in sources}
                assert kinds == {"feed", "google-news", "bing-news", "gdelt"}
                assert story.outlet == "The Texas Tribune"  # never "Google News"
                assert story.link == TRUE.url  # the outlet's own link, not an aggregator's
                assert len(s.scalars(select(Delivery)).all()) == 1
        finally:
            rt.close()
    finally:
        own.stop()
