"""The page step's boundaries, in process against a loopback site: a page that cannot be read
fails alone, and a page step that fails leaves the cycle's stories stored and alerted."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

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
    import trafilatura

    original = trafilatura.bare_extraction

    def choking(html, **kw):  # the extractor library failing on one page
        if kw["url"].endswith("poison"):
            raise RecursionError("maximum recursion depth exceeded")
        return original(html, **kw)
    monkeypatch.setattr(trafilatura, "bare_extraction", choking)
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


def test_robots_txt_is_asked_once_per_host_across_page_steps_and_evidence_passes(runtime,
                                                                                   site):
    from monitor.evidence.run import page_fetcher

    poll_cycle(runtime, force=True)
    assert site.asked.count("/robots.txt") == 1
    for _ in range(2):  # two evidence passes, each with the fetcher it builds
        assert all(p.ok for p in page_fetcher(runtime)([site.url("/a")]))
    assert site.asked.count("/robots.txt") == 1  # the 24 h cache outlives a step and a pass


def test_a_slow_hosts_crawl_delay_cannot_hold_the_page_step(tmp_path, site, webhook,
                                                            monkeypatch):
    import time

    from storage.models import utcnow
    from storage.pages import claim_due

    slow = ArticleServer(robots="User-agent: *\nCrawl-delay: 3\n").start()
    try:
        links = [slow.add(f"/p{n}", article(f"Parks news {n}", DEEP)) for n in range(5)]
        fast = site.add("/fast", article("Parks news 5", DEEP))
        links.append(fast.replace("127.0.0.1", "localhost"))  # another host (name) than slow's
        feed = site.add("/feed.xml", rss([(f"Parks news {n}", link, "")
                                          for n, link in enumerate(links)]),
                        headers={"Content-Type": "application/rss+xml"})
        config = write_config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url]}],
                              storage_url=f"sqlite:///{tmp_path / 'm.db'}")
        monkeypatch.setattr(stage, "MIN_STEP_SECONDS", 0.0, raising=False)
        monkeypatch.setattr(stage, "TIMEOUTS_PER_STEP", 0.15,  # 1.5 s of the 10 s timeout
                            raising=False)
        rt = load_runtime(config)
        try:
            started = time.monotonic()
            stats = poll_cycle(rt, force=True)
            assert time.monotonic() - started < 6  # five pages 3 s apart would take 12 s
            assert stats.new_stories == 6 and stats.pages_read == 2  # one slow, the fast one
            assert stats.pages_deferred == 4 and stats.pages_failed == 0
            with rt.db.session() as s:  # the pages not reached are due now, no try counted
                again = claim_due(s, utcnow(), 60, 10)
            assert len(again) == 4 and {p.attempts for p in again} == {1}
            assert len([p for p in slow.asked if p.startswith("/p")]) == 1
        finally:
            rt.close()
    finally:
        slow.stop()


def test_a_stop_request_cuts_the_page_step_and_its_pages_stay_due(tmp_path, site, webhook):
    import threading
    import time

    from storage.models import utcnow
    from storage.pages import claim_due

    feed = site.add("/feed.xml", rss([("Budget meeting", site.url("/a"), ""),
                                      ("Parks news", site.url("/hang"), "")]),
                    headers={"Content-Type": "application/rss+xml"})
    site.add("/a", article("Budget meeting", DEEP))
    config = write_config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url]}],
                          storage_url=f"sqlite:///{tmp_path / 'm.db'}")
    rt = load_runtime(config)
    stop = threading.Event()
    asked = site.stop_when_hung(stop)
    try:
        stats = poll_cycle(rt, force=True, stop=stop)
        took = time.monotonic() - asked[0]
        assert not site.release.is_set()
        assert took < 3, f"the page step held the stop for {took:.1f}s"  # the hang is 10 s
        assert stats.new_stories == 2 and stats.pages_deferred == 2 and stats.pages_read == 0
        with rt.db.session() as s:  # every page claimed is due now, unread, its try not counted
            again = claim_due(s, utcnow(), 60, 10)
        assert sorted((p.url, p.attempts) for p in again) == [(site.url("/a"), 1),
                                                              (site.url("/hang"), 1)]
    finally:
        rt.close()
