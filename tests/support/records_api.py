"""A test-only source kind that is not feed-shaped, and the loopback API it reads.

The API is a paged JSON search: POST a query and a page number, get records keyed by their
record id and the number of the next page. Sources of this kind share the one endpoint and
differ by their query. The kind is registered with one line, at the bottom.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from monitor.sources import register
from monitor.sources.base import Politeness, Request, Response, Source, SourceRecord
from monitor.sources.entry import Parsed, make_entry
from monitor.text import error_line
from tests.support.servers import Loopback, reply_json

PATH = "/v1/records/search"
PER_PAGE = 2


class RecordsApi(Source):
    """Records from the search API: a POST per page, each record keyed by its record id;
    one request at a time per host, 0.2 s apart; a 429 says when to return in RateLimit-Reset."""

    name = "records-api"
    politeness = Politeness(per_host=1, min_interval=0.2, max_pages=5)

    def request(self, source: SourceRecord) -> Request:
        return self._page(source, 1)

    def next_request(self, source: SourceRecord, sent: Request,
                     response: Response) -> Request | None:
        page = json.loads(response.body).get("next_page")
        return self._page(source, page) if isinstance(page, int) else None

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        entries, skipped = [], 0
        for page in pages:
            try:
                results = json.loads(page.body)["results"]
            except (ValueError, KeyError, TypeError) as exc:
                return Parsed([], error=f"not a records page: {error_line(exc)}")
            for record in results:
                try:
                    entries.append(_entry(record))
                except (KeyError, TypeError, ValueError):
                    skipped += 1
        return Parsed(entries, title="Records API search results", skipped=skipped)

    def retry_after(self, status: int, headers: Mapping[str, str]) -> float | None:
        reset = headers.get("ratelimit-reset", "")
        return float(reset) if reset.isdigit() else None

    def _page(self, source: SourceRecord, page: int) -> Request:
        body = json.dumps({"query": source.params["query"], "page": page}).encode()
        return Request(source.endpoint, "POST", body,
                       {"Content-Type": "application/json", "Accept": "application/json"})


def _entry(record: dict):
    """A record as an entry: its record id is its identity."""
    published = datetime.fromisoformat(record["date"]).replace(tzinfo=UTC)
    return make_entry(str(record["record_id"]), record.get("url"), record["title"],
                      record.get("description", ""), "", published)


RECORDS = RecordsApi()


class RecordsServer(Loopback):
    """The paged search API on 127.0.0.1; ``records`` maps a query to its records, in order.
    It notes each request (arrival time, query, page) and the most requests it had at once;
    ``throttled`` makes it answer 429 with RateLimit-Reset, ``broken_page`` 502 on that page."""

    def __init__(self, records: dict[str, list[dict]], delay: float = 0.0) -> None:
        self.records, self.delay = records, delay
        self.requests: list[tuple[float, str, int]] = []
        self.throttled: int | None = None
        self.broken_page: int | None = None  # answered with a 502
        self.in_flight = self.most_in_flight = 0
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                with lock:
                    owner.in_flight += 1
                    owner.most_in_flight = max(owner.most_in_flight, owner.in_flight)
                try:
                    self._answer()
                finally:
                    with lock:
                        owner.in_flight -= 1

            def _answer(self) -> None:
                asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append((time.monotonic(), asked["query"], asked["page"]))
                time.sleep(owner.delay)
                if self.path != PATH:
                    self._send(404, {"error": "no such endpoint"})
                elif asked["page"] == owner.broken_page:
                    self._send(502, {"error": "bad gateway"})
                elif owner.throttled is not None:
                    self._send(429, {"error": "slow down"},
                               {"RateLimit-Reset": str(owner.throttled)})
                else:
                    self._send(200, owner.page(asked["query"], asked["page"]))

            def _send(self, status: int, doc: dict, headers: dict | None = None) -> None:
                reply_json(self, status, doc, headers)

        super().__init__(Handler)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PATH}"

    def page(self, query: str, page: int) -> dict:
        """One page of a query's records and the next page's number (None after the last)."""
        found = self.records.get(query, [])
        start = (page - 1) * PER_PAGE
        more = start + PER_PAGE < len(found)
        return {"results": found[start:start + PER_PAGE], "next_page": page + 1 if more else None}




register(RecordsApi.name, RECORDS)
