"""A source whose answer cannot be paged fails alone, and a poll with more pages than its kind
reads fails rather than pass for complete (a records window would move past what it missed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from monitor.pipeline.cycle import poll_cycle
from monitor.service.runtime import Runtime, load_runtime
from storage import Feed, Story
from storage.sources import add_source
from tests.support.helpers import write_config
from tests.support.records_api import RECORDS, RecordsServer
from tests.support.servers import FeedServer

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title>
<item><title>GEO Group wins detention contract</title><link>https://outlet.example/a</link>
<guid>a</guid><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


class ListServer:
    """A registry that answers every request with 200 and a JSON list, not the object asked."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[FeedServer, ListServer]]:
    feeds, registry = FeedServer().start(), ListServer()
    yield feeds, registry
    feeds.stop()
    registry.stop()


def test_a_source_whose_paging_fails_fails_alone(tmp_path, servers):
    feeds, registry = servers
    url = feeds.add("/rss", FEED)
    extra = f'''[[records]]
provider = "federal-register"
agencies = ["u-s-immigration-and-customs-enforcement"]
interval = "1h"
base_url = "{registry.base}"
'''
    rt = load_runtime(write_config(tmp_path, [url], extra=extra))
    try:
        stats = poll_cycle(rt)
        assert (stats.feeds_polled, stats.feeds_failed) == (2, 1)
        with rt.db.session() as s:
            titles = list(s.scalars(select(Story.title)))
            errors = {f.kind: f.last_error for f in s.scalars(select(Feed))}
        assert titles == ["GEO Group wins detention contract"]
        assert errors["feed"] is None
        assert "could not be read for paging" in errors["federal-register"]
    finally:
        rt.close()


def test_more_pages_than_the_kind_reads_fail_the_poll(tmp_path):
    many = [{"record_id": f"R-{n}", "title": f"Award {n}", "date": "2026-11-02"}
            for n in range(2 * RECORDS.politeness.max_pages + 1)]
    api = RecordsServer({"busy": many}).start()
    rt: Runtime = load_runtime(write_config(tmp_path, []))
    try:
        with rt.db.session() as s:
            add_source(s, RECORDS.key(api.endpoint, {"query": "busy"}), RECORDS.name,
                       {"query": "busy"}, "busy", 3600.0)
        stats = poll_cycle(rt)
        assert (stats.feeds_failed, stats.new_stories) == (1, 0)
        assert len(api.requests) == RECORDS.politeness.max_pages
        with rt.db.session() as s:
            error = s.scalars(select(Feed.last_error)).one()
        assert f"more than {RECORDS.politeness.max_pages} pages" in error
    finally:
        rt.close()
        api.stop()
