"""The page step's boundaries, in process against a loopback site: a page that cannot be read
fails alone, and a page step that fails leaves the cycle's stories stored and alerted."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

import monitor.pages.extract as extract_module
from monitor.pages import stage
from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.deliver import deliver_due
from monitor.service.runtime import Runtime, load_runtime
from tests.integration.test_full_text import DEEP, article, rss
from tests.support.articles import ArticleServer
from tests.support.helpers import write_config


@pytest.fixture
def site() -> Iterator[ArticleServer]:
    server = ArticleServer(robots="User-agent: *\nDisallow:\n").start()
    yield server
    server.stop()


@pytest.fixture
def runtime(tmp_path, site, webhook) -> Iterator[Runtime]:
    feed = site.add("/feed.xml", rss([("Budget meeting", site.url("/a"), ""),
                                      ("CoreCivic renews lease", site.url("/poison"), ""),
                                      ("Parks news", site.url("/b"), "")]),
                    headers={"Content-Type": "application/rss+xml"})
    site.add("/a", article("Budget meeting", DEEP))
    site.add("/b", article("Parks news", DEEP))
    site.add("/poison", article("CoreCivic renews lease", DEEP) + b"<!-- poison -->")
    config = write_config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url]}],
                          storage_url=f"sqlite:///{tmp_path / 'm.db'}")
    rt = load_runtime(config)
    yield rt
    rt.close()


def test_a_page_that_cannot_be_read_fails_alone(runtime, tmp_path, webhook, monkeypatch):
    original = extract_module.trafilatura.bare_extraction

    def choking(html, **kw):  # the extractor library failing on one page
        if b"poison" in html:
            raise RecursionError("maximum recursion depth exceeded")
        return original(html, **kw)
    monkeypatch.setattr(extract_module.trafilatura, "bare_extraction", choking)
    monkeypatch.setattr(stage, "POOL_PAGES", 1000)  # read here, where the library is patched

    stats = poll_cycle(runtime, force=True)
    deliver_due(runtime)
    assert stats.new_stories == 3 and stats.pages_read == 2 and stats.pages_failed == 1
    assert sorted(m["title"] for m in webhook.received) == [
        "[CoreCivic] CoreCivic renews lease", "[GEO Group] Budget meeting",
        "[GEO Group] Parks news"]
    with sqlite3.connect(tmp_path / "m.db") as db:
        state, error = db.execute("select state, last_error from story_pages "
                                  "where url like '%poison'").fetchone()
    assert state == "failed" and error.startswith("unreadable: RecursionError")


def test_a_failing_page_step_leaves_the_stories_stored(runtime, tmp_path, webhook, caplog):
    with sqlite3.connect(tmp_path / "m.db") as db:  # the database refuses page updates
        db.execute("create trigger no_pages before update on story_pages "
                   "begin select raise(abort, 'disk I/O error'); end")

    stats = poll_cycle(runtime, force=True)
    deliver_due(runtime)
    assert stats.new_stories == 3 and stats.feeds_failed == 0 and stats.pages_read == 0
    assert [m["title"] for m in webhook.received] == ["[CoreCivic] CoreCivic renews lease"]
    assert "the page step failed" in caplog.text
    with sqlite3.connect(tmp_path / "m.db") as db:
        db.execute("drop trigger no_pages")
        assert db.execute("select count(*) from story_pages where state = 'pending'"
                          ).fetchone() == (3,)


def test_pages_are_read_stored_and_claimed_once_on_both_databases(any_url, tmp_path, site,
                                                                   webhook):
    from datetime import timedelta

    from storage.models import utcnow
    from storage.pages import claim_due, hit_entities, page_of

    feed = site.add("/feed.xml", rss([("Budget meeting", site.url("/a"), ""),
                                      ("CoreCivic renews lease", site.url("/c"), ""),
                                      ("Not up yet", site.url("/down"), "")]),
                    headers={"Content-Type": "application/rss+xml"})
    site.add("/a", article("Budget meeting", DEEP))
    site.add("/c", article("CoreCivic renews lease", DEEP))
    config = write_config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url]}],
                          storage_url=any_url)
    rt = load_runtime(config)
    try:
        stats = poll_cycle(rt, force=True)
        deliver_due(rt)
        assert stats.pages_read == 2 and stats.pages_failed == 1
        assert stats.hits == 3  # CoreCivic from the headline, GEO Group from two bodies
        # one alert per story: sent after the page step, it names every hit by then
        assert sorted(m["title"] for m in webhook.received) == [
            "[CoreCivic, GEO Group] CoreCivic renews lease", "[GEO Group] Budget meeting"]
        with rt.db.session() as s:
            pages = {p.url.rsplit("/", 1)[1]: p for p in (page_of(s, i) for i in (1, 2, 3)) if p}
            assert {k: p.state for k, p in pages.items()} == {
                "a": "done", "c": "done", "down": "pending"}
            assert pages["a"].language == "en" and pages["a"].author == "Dana Reporter"
            assert pages["a"].body and DEEP in pages["a"].body
            assert hit_entities(s, pages["c"].story_id) == {
                ("CoreCivic", "CoreCivic"), ("GEO Group", "GEO Group")}
        later = utcnow() + timedelta(hours=1)  # the 404 page's retry is due: one worker gets it
        with rt.db.session() as s:
            first = claim_due(s, later, 60, 10)
        with rt.db.session() as s:
            second = claim_due(s, later, 60, 10)
        assert [(p.url, p.attempts) for p in first] == [(site.url("/down"), 2)]
        assert second == []
    finally:
        rt.close()
