"""Hostile and unusual endpoints against the real fetcher, on loopback servers."""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta

import pytest

from monitor.config import PollingConfig
from monitor.pipeline.fetch import FetchRequest, FetchResult, fetch_all, fetch_one, make_session
from monitor.sources.base import SourceRecord
from monitor.sources.feed.kind import FEED
from storage import Feed
from storage.models import utcnow
from storage.sources import MAX_BACKOFF, backoff_seconds, record_fetch
from tests.support.helpers import DATA, run_cli, write_config
from tests.support.hostile import HostileServer
from tests.support.records_api import RECORDS, RecordsServer

RSS = (DATA / "feeds" / "rss2.xml").read_bytes()
POLLING = PollingConfig(timeout=1.5, max_bytes=1024 * 1024, contact="https://ops.example/c")


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    yield server
    server.stop()


def _feed(source_id: int, url: str, **validators) -> FetchRequest:
    """The poll of a feed, as the feed kind builds it."""
    return FetchRequest.of(SourceRecord(source_id, url, **validators), FEED)


def _fetch(url: str, polling: PollingConfig = POLLING, **kw) -> FetchResult:
    async def go() -> FetchResult:
        async with make_session(polling) as session:
            return await fetch_one(session, _feed(1, url, **kw), polling)
    return asyncio.run(go())


def test_slow_loris_is_cut_at_the_deadline(hostile):
    started = time.monotonic()
    result = _fetch(hostile.url("/slow"))
    elapsed = time.monotonic() - started
    assert result.error and "timed out" in result.error and result.body is None
    assert 1.4 < elapsed < 4
    assert hostile.sent["/slow"] < 100


def _fetch_traced(url: str, polling: PollingConfig):
    """The fetch result and the peak of Python memory allocated while fetching."""
    tracemalloc.start()
    try:
        result = _fetch(url, polling)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_300_mb_body_is_cut_at_max_bytes_without_buffering_it(hostile):
    result, peak = _fetch_traced(hostile.url("/huge"),
                                 PollingConfig(timeout=20, max_bytes=2 * 2**20))
    assert result.body is None and "larger than 2097152 bytes" in result.error
    assert peak < 40 * 2**20
    time.sleep(0.2)
    assert hostile.sent["/huge"] < 100 * 2**20


def test_gzip_bomb_is_capped_on_decompressed_bytes_in_bounded_memory(hostile):
    result, peak = _fetch_traced(hostile.url("/bomb"),
                                 PollingConfig(timeout=20, max_bytes=5 * 2**20))
    assert result.body is None and "larger than 5242880 bytes" in result.error
    assert peak < 60 * 2**20


def test_redirect_loop_stops(hostile):
    result = _fetch(hostile.url("/loop-a"))
    assert result.error == "too many redirects" and result.body is None


def test_user_agent_and_conditional_get(feed_server):
    url = feed_server.add("/rss.xml", RSS, headers={"ETag": '"v1"',
                                                  "Last-Modified": "Sat, 28 Nov 2026 10:00:00 GMT"})
    first = _fetch(url)
    assert first.status == 200 and first.body == RSS
    assert first.headers["etag"] == '"v1"'
    second = _fetch(url, etag='"v1"', last_modified="Sat, 28 Nov 2026 10:00:00 GMT")
    assert second.status == 304 and second.not_modified and second.error is None
    _, headers = feed_server.requests[-1]
    assert headers["if-none-match"] == '"v1"'
    assert headers["if-modified-since"] == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert headers["user-agent"] == "ice-monitor/0.1 (+https://ops.example/c)"
    assert "gzip" in headers["accept-encoding"]


def test_status_codes_and_retry_after(feed_server):
    urls = {
        429: feed_server.add("/429", b"slow down", headers={"Retry-After": "120"}, status=429),
        503: feed_server.add("/503", b"", headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"},
                             status=503),
        410: feed_server.add("/410", b"gone", status=410),
        500: feed_server.add("/500", b"oops", status=500),
    }
    results = asyncio.run(fetch_all([_feed(code, url) for code, url in urls.items()],
                                    POLLING))
    by_code = {r.feed_id: r for r in results}
    assert by_code[429].error == "HTTP 429" and by_code[429].retry_after == 120
    assert by_code[503].retry_after > 365 * 24 * 3600
    assert by_code[410].status == 410 and by_code[500].error == "HTTP 500"


def _feed_row(interval: float = 900.0) -> Feed:
    return Feed(url="https://a.example/rss", name="a", interval_s=interval, state="ok",
                error_count=0, next_poll_at=utcnow())


def test_backoff_grows_with_jitter_is_capped_and_never_disables():
    feed = _feed_row()
    now = utcnow()
    delays = []
    for _ in range(40):
        record_fetch(feed, FetchResult(1, feed.url, status=500, error="HTTP 500"), None, now)
        delays.append((feed.next_poll_at - now).total_seconds())
        assert feed.state == "failing"
    assert delays[0] < delays[1] < delays[2] < delays[3]
    assert all(d <= MAX_BACKOFF for d in delays)
    assert max(delays) > MAX_BACKOFF * 0.8
    feed.error_count = 3
    jittered = {round(backoff_seconds(feed, None)) for _ in range(20)}
    assert len(jittered) > 1


def test_retry_after_is_honoured_410_disables_and_success_resets():
    feed = _feed_row(interval=60)
    now = utcnow()
    record_fetch(feed, FetchResult(1, feed.url, status=429, error="HTTP 429", retry_after=3600),
                 None, now)
    assert feed.next_poll_at - now >= timedelta(seconds=3600)
    record_fetch(feed, FetchResult(1, feed.url, status=304), None, now)
    assert (feed.state, feed.error_count, feed.last_error) == ("ok", 0, None)
    record_fetch(feed, FetchResult(1, feed.url, status=410, error="HTTP 410"), None, now)
    assert feed.state == "disabled"


def test_waiting_for_a_per_host_slot_does_not_count_against_the_deadline(tmp_path,
                                                                          feed_server):
    body = (DATA / "feeds" / "rss2.xml").read_bytes()
    feeds = [feed_server.add(f"/slow/{n}.xml", body, delay=0.5) for n in range(12)]
    config = write_config(tmp_path, feeds, storage_url=f"sqlite:///{tmp_path / 'm.db'}",
                          extra="per_host = 2").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(config.replace('timeout = "10s"', 'timeout = "1.5s"'), encoding="utf-8")
    started = time.monotonic()
    result = run_cli("poll-once", "--json", "--config", str(path))
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["feeds_failed"] == 0, result.stderr[-2000:]
    assert stats["feeds_polled"] == 12
    assert max(t for t, _ in feed_server.times) - min(t for t, _ in feed_server.times) >= 2.4
    assert time.monotonic() - started < 30


def _poll_records(server: RecordsServer, query: str) -> FetchResult:
    params = {"query": query}
    source = SourceRecord(1, RECORDS.key(server.endpoint, params), params)
    return asyncio.run(fetch_all([FetchRequest.of(source, RECORDS)], POLLING))[0]


def test_a_kind_posts_its_body_and_follows_its_pages():
    server = RecordsServer({"q": [{"record_id": n} for n in range(5)]}).start()
    try:
        result = _poll_records(server, "q")
    finally:
        server.stop()
    assert result.error is None and result.status == 200 and len(result.pages) == 3
    assert [p for _, _, p in server.requests] == [1, 2, 3]
    assert [json.loads(p.body)["results"][0]["record_id"] for p in result.pages] == [0, 2, 4]


def test_a_failed_later_page_fails_the_whole_poll():
    server = RecordsServer({"q": [{"record_id": n} for n in range(5)]}).start()
    server.broken_page = 2
    try:
        result = _poll_records(server, "q")
    finally:
        server.stop()
    assert result.error.startswith("HTTP 502 on a following page") and result.pages == ()
    assert result.body is None and result.status == 200
