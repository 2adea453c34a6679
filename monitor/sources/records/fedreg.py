"""Federal Register documents of chosen agencies and types (its JSON API,
``/api/v1/documents.json``), newest first, page by page; ``comments_close_on`` is asked for
by name (the API leaves it out otherwise) so a comment deadline reaches the alert."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from monitor.sources.base import Politeness, Request, Response, Source, SourceRecord
from monitor.sources.entry import Entry, Parsed
from monitor.sources.records.common import clip, day, facts_line, record_entry, window
from monitor.text import error_line

PATH = "/api/v1/documents.json"
PER_PAGE = 100
FIELDS = ["title", "type", "abstract", "document_number", "html_url", "publication_date",
          "agencies", "comments_close_on", "action", "dates"]


class FederalRegister(Source):
    """Documents from www.federalregister.gov (base_url configurable)."""

    name = "federal-register"
    politeness = Politeness(per_host=1, min_interval=0.2, max_pages=20)

    def request(self, source: SourceRecord) -> Request:
        start, _ = window(source)
        query: list[tuple[str, str]] = [("conditions[agencies][]", a)
                                        for a in source.params.get("agencies") or ()]
        query += [("conditions[type][]", t) for t in source.params.get("document_types") or ()]
        query += [("conditions[publication_date][gte]", start.isoformat())]
        query += [("fields[]", f) for f in FIELDS]
        query += [("order", "newest"), ("per_page", str(PER_PAGE)), ("page", "1")]
        return Request(f"{source.endpoint}{PATH}?{urlencode(query)}",
                       headers={"Accept": "application/json"})

    def next_request(self, source: SourceRecord, sent: Request,
                     response: Response) -> Request | None:
        following = json.loads(response.body).get("next_page_url")
        return Request(following, headers={"Accept": "application/json"}) \
            if isinstance(following, str) and following.startswith("http") else None

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        entries: dict[str, Entry] = {}
        skipped = 0
        for page in pages:
            try:
                results = json.loads(page.body).get("results") or []
            except (ValueError, AttributeError) as exc:
                return Parsed([], error=f"not a Federal Register answer: {error_line(exc)}")
            for doc in results:
                try:
                    entry = _document(doc)
                except (KeyError, TypeError, ValueError, AttributeError):
                    skipped += 1
                    continue
                entries.setdefault(entry.key, entry)
        return Parsed(list(entries.values()), title="Federal Register", skipped=skipped)


def _document(doc: Mapping[str, Any]) -> Entry:
    """A document: agency, type and title, publication date, comment deadline if any."""
    number, link, title = doc["document_number"], doc["html_url"], doc["title"]
    agencies = [a.get("name") or a.get("raw_name") or "" for a in doc.get("agencies") or []]
    agency = "; ".join(a for a in agencies if a)
    kind = doc.get("type") or "Document"
    published = doc.get("publication_date") or ""
    closes = doc.get("comments_close_on") or ""
    head = f"{agencies[0] if agencies else 'Federal Register'} {kind.lower()}: {clip(title)}"
    if closes:
        head += f" (comments close {closes})"
    summary = facts_line({"Agency": agency, "Type": kind, "Published": published,
                          "Comments close": closes, "Action": doc.get("action") or "",
                          "Document": number, "Abstract": " ".join(
                              str(doc.get("abstract") or "").split())})
    facts = {"provider": "federal-register", "record_id": number, "action": kind,
             "agency": agency, "recipient": "", "acted_on": published,
             "document_type": kind, "publication_date": published,
             "comments_close_on": closes or None, "document_title": title}
    return record_entry(f"fr:{number}", link, head, summary, day(published), facts)


FEDERAL_REGISTER = FederalRegister()
