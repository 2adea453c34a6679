"""A loopback Federal Register API: ``GET /api/v1/documents.json`` with ``conditions[…]``,
``fields[]``, ``order``, ``per_page`` and ``page`` as www.federalregister.gov reads them: only
the fields asked for (``comments_close_on`` never unless asked; the default set otherwise),
``count``/``total_pages``/``next_page_url`` paging, ``results`` absent when nothing matches."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.support.servers import Loopback, reply

PATH = "/api/v1/documents.json"
DEFAULT_FIELDS = ["title", "type", "abstract", "document_number", "html_url", "pdf_url",
                  "public_inspection_pdf_url", "publication_date", "agencies", "excerpts"]
TYPES = {"RULE": "Rule", "PRORULE": "Proposed Rule", "NOTICE": "Notice",
         "PRESDOCU": "Presidential Document"}


class FedRegServer(Loopback):
    """``documents`` (full records, newest first); ``fail`` a queue of statuses to answer
    instead; ``queries`` every request's parameters (as pairs, in order)."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents
        self.fail: list[int] = []
        self.queries: list[list[tuple[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qsl(parts.query, keep_blank_values=True)
                owner.queries.append(query)
                failing = owner.fail.pop(0) if owner.fail else None
                if failing == 429:
                    self._send(429, {"status": 429, "message": "Rate limit exceeded"},
                               {"Retry-After": "60"})
                elif failing is not None:
                    self._send(failing, {"status": failing, "message": "Internal Server Error"})
                elif parts.path != PATH:
                    self._send(404, {"status": 404, "message": "Not Found"})
                else:
                    self._send(*owner.answer(query))

            def _send(self, status: int, doc: dict, headers: dict | None = None) -> None:
                reply(self, status, json.dumps(doc).encode(), "application/json; charset=utf-8",
                      headers)

        super().__init__(Handler)


    def answer(self, query: list[tuple[str, str]]) -> tuple[int, dict]:
        agencies = [v for k, v in query if k == "conditions[agencies][]"]
        types = [v for k, v in query if k == "conditions[type][]"]
        since = dict(query).get("conditions[publication_date][gte]", "")
        fields = [v for k, v in query if k == "fields[]"] or DEFAULT_FIELDS
        bad = [t for t in types if t not in TYPES]
        if bad:
            return 400, {"status": 400, "message": "Invalid request",
                         "errors": {"type": [f"{t} is not a valid type" for t in bad]}}
        per_page, page = int(dict(query).get("per_page", 20)), int(dict(query).get("page", 1))
        found = [d for d in self.documents
                 if (not agencies or {a["slug"] for a in d["agencies"]} & set(agencies))
                 and (not types or d["type"] in {TYPES[t] for t in types})
                 and d["publication_date"] >= since]
        pages = -(-len(found) // per_page)
        doc: dict[str, Any] = {"count": len(found), "description": "Documents matching your "
                               "search", "total_pages": pages}
        if page < pages:
            following = [(k, v) for k, v in query if k != "page"] + [("page", str(page + 1))]
            doc["next_page_url"] = f"{self.base}{PATH}?{urlencode(following)}"
        if page > 1:
            earlier = [(k, v) for k, v in query if k != "page"] + [("page", str(page - 1))]
            doc["previous_page_url"] = f"{self.base}{PATH}?{urlencode(earlier)}"
        chunk = found[(page - 1) * per_page: page * per_page]
        if chunk:
            doc["results"] = [{name: d.get(name) for name in fields} for d in chunk]
        return 200, doc


