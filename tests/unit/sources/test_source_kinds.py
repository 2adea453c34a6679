"""A source kind that is not a feed (a paged JSON POST API keyed by record id), registered with
one line in tests/support/records_api.py, stored and matched end to end through poll_cycle."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.pipeline.cycle import poll_cycle
from monitor.service.runtime import Runtime, load_runtime
from monitor.sources import UnknownKind, kind_modules, kind_names, source_kind
from monitor.sources.base import Politeness, Response, SourceRecord
from monitor.sources.feed.kind import FEED
from storage import Feed, Hit, Story, StorySource, connect
from storage.models import utcnow
from storage.sources import add_source, next_poll_times
from tests.support.helpers import run_cli, write_config
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.records_api import RECORDS, RecordsServer

AWARDS = [
    {"record_id": "AWD-001", "title": "CoreCivic awarded detention services contract",
     "description": "A five-year award for a facility in Texas.", "date": "2026-11-02",
     "url": "https://records.example/awards/AWD-001"},
    {"record_id": "AWD-002", "title": "Road resurfacing on Main Street",
     "description": "Paving works.", "date": "2026-11-03",
     "url": "https://records.example/awards/AWD-002"},
    {"record_id": "AWD-003", "title": "GEO Group contract modification",
     "description": "Adds beds to an existing award.", "date": "2026-11-04",
     "url": "https://records.example/awards/AWD-003"},
]
GRANTS = [
    {"record_id": "GRT-9", "title": "Library grant for the county", "description": "Books.",
     "date": "2026-11-05"},
]


@pytest.fixture
def api() -> Iterator[RecordsServer]:
    server = RecordsServer({"detention": AWARDS, "libraries": GRANTS}).start()
    yield server
    server.stop()


@pytest.fixture
def rt(tmp_path, any_url) -> Iterator[Runtime]:  # noqa: F811
    """A runtime with no configured feeds, on SQLite and (when configured) PostgreSQL."""
    connect(any_url).dispose()  # creates the schema (PostgreSQL waits for an upgrade)
    runtime = load_runtime(write_config(tmp_path, [], storage_url=any_url))
    yield runtime
    runtime.close()


def _add(rt: Runtime, endpoint: str, query: str) -> int:
    params = {"query": query}
    with rt.db.session() as s:
        return add_source(s, RECORDS.key(endpoint, params), RECORDS.name, params,
                          f"records: {query}", 3600.0).id


def test_the_kind_is_registered_with_one_line():
    assert {"feed", "records-api"} <= set(kind_names())
    assert source_kind("records-api") is RECORDS and source_kind("feed") is FEED
    with pytest.raises(UnknownKind):
        source_kind("carrier-pigeon")


def test_the_parse_fork_server_preloads_every_kind_even_one_already_used():
    source_kind("feed")  # imported here: the fork server must still be told to preload it
    assert {"monitor.sources.feed.kind", "tests.support.records_api"} <= set(kind_modules())


def test_sources_sharing_an_endpoint_are_told_apart_by_their_parameters(rt, api):
    first, second = _add(rt, api.endpoint, "detention"), _add(rt, api.endpoint, "libraries")
    again = _add(rt, api.endpoint, "detention")
    assert first != second and again == first
    with rt.db.session() as s:
        keys = [f.url for f in s.scalars(select(Feed).order_by(Feed.id))]
    assert len(set(keys)) == 2 and all(k.startswith(api.endpoint + "#records-api-") for k in keys)


def test_records_are_fetched_page_by_page_stored_by_record_id_and_matched(rt, api):
    awards, grants = _add(rt, api.endpoint, "detention"), _add(rt, api.endpoint, "libraries")
    stats = poll_cycle(rt)
    assert (stats.feeds_polled, stats.feeds_failed, stats.entries) == (2, 0, 4)
    assert stats.new_stories == 4 and stats.hits >= 2
    assert sorted((q, p) for _, q, p in api.requests) == [
        ("detention", 1), ("detention", 2), ("libraries", 1)]
    with rt.db.session() as s:
        keys = {(r.feed_id, r.entry_key) for r in s.scalars(select(StorySource))}
        hits = {(h.story.title, h.entity) for h in s.scalars(select(Hit))}
        states = {f.id: f.state for f in s.scalars(select(Feed))}
    assert keys == {(awards, "AWD-001"), (awards, "AWD-002"), (awards, "AWD-003"),
                    (grants, "GRT-9")}
    assert ("CoreCivic awarded detention services contract", "CoreCivic") in hits
    assert ("GEO Group contract modification", "GEO Group") in hits
    assert states == {awards: "ok", grants: "ok"}
    with rt.db.session() as s:
        names = {f.id: f.name for f in s.scalars(select(Feed))}
        due = next_poll_times(s, set())  # no configured feed: the stored sources still count
    assert names == {awards: "records: detention", grants: "records: libraries"}
    assert len(due) == 2 and min(due) > utcnow()
    again = poll_cycle(rt, force=True)
    assert (again.feeds_polled, again.entries, again.new_stories, again.hits) == (2, 4, 0, 0)


def test_the_kinds_politeness_one_request_at_a_time_spaced_out(rt, api):
    api.delay = 0.1
    for query in ("detention", "libraries", "nothing", "more"):
        _add(rt, api.endpoint, query)
    assert poll_cycle(rt).feeds_failed == 0
    starts = sorted(t for t, _, _ in api.requests)
    assert len(starts) == 5 and api.most_in_flight == 1
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.15


def test_retry_after_is_read_as_the_kind_says(rt, api):
    source = _add(rt, api.endpoint, "detention")
    api.throttled = 7200
    before = utcnow()
    stats = poll_cycle(rt)
    assert stats.feeds_failed == 1
    with rt.db.session() as s:
        feed = s.get(Feed, source)
        assert (feed.state, feed.last_error) == ("failing", "HTTP 429")
        assert feed.next_poll_at - before >= timedelta(seconds=7200)


def test_a_source_of_an_unknown_kind_is_put_off_not_fetched(rt, api):
    with rt.db.session() as s:
        lost = add_source(s, "https://gone.example/#old-kind", "retired-kind", {}, "old",
                          600.0).id
    assert poll_cycle(rt).feeds_polled == 0
    with rt.db.session() as s:
        feed = s.get(Feed, lost)
        assert feed.last_polled_at is None and feed.lease_owner is None
        assert feed.next_poll_at > utcnow() + timedelta(seconds=500)


def test_the_kind_parses_in_a_worker_process():
    """Parse workers get the kind by pickle: it must import there and need nothing else."""
    page = Response("https://api.example/x", 200, {},
                    json.dumps({"results": AWARDS[:2], "next_page": None}).encode())
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        parsed = pool.submit(RECORDS.parse, (page,), {"query": "q"}).result(60)
    assert [e.key for e in parsed.entries] == ["AWD-001", "AWD-002"] and parsed.error is None


def test_a_broken_page_fails_its_source_alone():
    page = Response("https://api.example/x", 200, {}, b"<html>maintenance</html>")
    assert RECORDS.parse([page], {}).error.startswith("not a records page")


def test_the_feed_kind_asks_conditionally_where_the_feed_moved():
    plain = FEED.request(SourceRecord(1, "https://a.example/rss"))
    assert (plain.method, plain.url, plain.body) == ("GET", "https://a.example/rss", None)
    assert "If-None-Match" not in plain.headers and "rss" in plain.headers["Accept"]
    moved = FEED.request(SourceRecord(1, "https://a.example/rss", {}, "https://b.example/rss",
                                      '"v1"', "Sat, 28 Nov 2026 10:00:00 GMT"))
    assert moved.url == "https://b.example/rss" and moved.headers["If-None-Match"] == '"v1"'
    assert moved.headers["If-Modified-Since"] == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert FEED.key("https://a.example/rss", {}) == "https://a.example/rss"


def test_impossible_politeness_is_refused():
    for bad in ({"per_host": 0}, {"min_interval": -1}, {"max_pages": 0}):
        with pytest.raises(ValueError):
            Politeness(**bad)


def test_monitor_feeds_lists_every_source_with_its_kind(tmp_path, api, feed_server):
    feed = feed_server.add("/rss.xml", b"<rss version='2.0'><channel></channel></rss>")
    config = write_config(tmp_path, [feed], storage_url=f"sqlite:///{tmp_path / 'm.db'}")
    runtime = load_runtime(config)
    try:
        _add(runtime, api.endpoint, "detention")
    finally:
        runtime.close()
    listed = run_cli("feeds", "--format", "json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert [(r["kind"], r["params"]) for r in records] == [
        ("feed", {}), ("records-api", {"query": "detention"})]
    assert records[0]["url"] == feed and {"fetch_url", "error_count"} <= set(records[0])
    table = run_cli("feeds", "--config", str(config))
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["name", "kind", "url"]
    assert "records-api" in rows[1] and "feed" in rows[0]


def test_stories_from_a_kind_carry_their_record_link(rt, api):
    _add(rt, api.endpoint, "libraries")
    poll_cycle(rt)
    with rt.db.session() as s:
        (story,) = s.scalars(select(Story))
        assert story.title == "Library grant for the county" and story.link is None
