"""The trends page (``/trends``) and its CSV export (``/trends.csv``): per entity a timeline
with spikes marked, top outlets and co-mentions; filters by watchlist, entity, outlet and
date; a query box run over stored stories (monitor.query); the hits shown, as CSV too."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from monitor.query import QueryError
from monitor.query.stored import hits_matching, watched_query
from monitor.service.runtime import Runtime
from monitor.text import CONTROL_CHARS
from monitor.trends.detect import EntityTrend, entity_trends
from monitor.trends.report import trend_record
from monitor.web.page import page_env
from storage.hits import HitRow, parse_since
from storage.models import utcnow
from storage.trends import co_mentions, find_hits, outlet_names, top_outlets

DEFAULT_DAYS = 30
MAX_DAYS = 400
MAX_ENTITIES = 24
MAX_HITS = 500
CSV_COLUMNS = ["published_at", "created_at", "watchlist", "entity", "matched", "title",
               "sources", "link", "score", "field", "context", "id"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")



class PageError(ValueError):
    """A filter the page cannot use: answered 400 with the reason (and the query's column)."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; every value is text they typed, validated here."""

    watchlist: str | None
    entity: str | None
    outlet: str | None
    since: datetime
    until: datetime
    query: str | None

    def params(self) -> dict[str, str]:
        """The filters as query parameters (for the CSV link and the form's initial values)."""
        given = {"watchlist": self.watchlist, "entity": self.entity, "outlet": self.outlet,
                 "since": self.since.date().isoformat(),
                 "until": (self.until - timedelta(microseconds=1)).date().isoformat(),
                 "q": self.query}
        return {k: v for k, v in given.items() if v}


def _text(request: Request, key: str) -> str | None:
    value = (request.query_params.get(key) or "").strip() or None
    if value is not None and CONTROL_CHARS.search(value):
        raise PageError(f"{key} must not contain control characters")
    return value


def _day(request: Request, key: str) -> datetime | None:
    value = _text(request, key)
    if value is None:
        return None
    try:
        return parse_since(value)
    except ValueError:
        raise PageError(f"{key} must be a date (YYYY-MM-DD), got {value!r}") from None


def read_filters(request: Request, now: datetime) -> Filters:
    """The page's filters from the URL; ``until`` is the end of the day given (default now)."""
    until_day = _day(request, "until")
    until = until_day + timedelta(days=1) if until_day else now
    since = _day(request, "since") or until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise PageError("since must be before until")
    if until - since > timedelta(days=MAX_DAYS):
        raise PageError(f"at most {MAX_DAYS} days at a time")
    return Filters(_text(request, "watchlist"), _text(request, "entity"),
                   _text(request, "outlet"), since, until, _text(request, "q"))


def filtered_hits(rt: Runtime, f: Filters) -> list[HitRow]:
    """The hits the filters and the query keep, newest published first."""
    query = None
    if f.query:
        try:
            query = watched_query(f.query, rt.watchlists)
        except QueryError as exc:
            raise PageError(f"query: {exc}", exc.column) from None
    with rt.db.read() as s:
        rows = find_hits(s, f.watchlist, f.entity, f.outlet, f.since, f.until,
                         limit=MAX_HITS * 10 if query else MAX_HITS)
        if query is not None:
            rows = hits_matching(s, query, rows, MAX_HITS)
    return rows


def _card(s: Any, trend: EntityTrend, since: datetime, until: datetime) -> dict[str, Any]:
    """One entity's timeline (counts, usual, spikes), outlets, co-mentions, bursts."""
    record = trend_record(s, trend)
    series = record["series"]
    ids = [sid for sid, when in trend.stories.items() if since <= when < until]
    return {"entity": trend.entity, "watchlist": trend.watchlist, "stories": len(ids),
            "days": json.dumps([p["bucket"][:10] for p in series]),
            "counts": json.dumps([p["count"] for p in series]),
            "usual": json.dumps([p["baseline"] for p in series]),
            "spiked": json.dumps([p["spike"] for p in series]),
            "spikes": record["spikes"],
            "outlets": top_outlets(s, ids, 8),
            "co": co_mentions(s, trend.watchlist, trend.entity, since, 8)}


def entity_cards(rt: Runtime, f: Filters) -> list[dict[str, Any]]:
    """A card per entity with stories in the window (the busiest first, at most MAX_ENTITIES)."""
    settings = rt.config.trends
    with rt.db.read() as s:
        trends = entity_trends(s, f.since, f.until - timedelta(microseconds=1),
                               settings.baseline, settings.min_count, f.watchlist, f.entity,
                               judge_hours_from=f.since, outlet=f.outlet)
        trends = [t for t in trends if any(w >= f.since for w in t.stories.values())]
        trends.sort(key=lambda t: -sum(1 for w in t.stories.values() if w >= f.since))
        return [_card(s, t, f.since, f.until) for t in trends[:MAX_ENTITIES]]


def _choices(rt: Runtime) -> dict[str, list[str]]:
    with rt.db.read() as s:
        outlets = outlet_names(s)
    return {"watchlists": [w.name for w in rt.watchlists],
            "entities": sorted({e.name for w in rt.watchlists for e in w.entities},
                               key=str.casefold),
            "outlets": outlets}


def render_trends(rt: Runtime, request: Request, nonce: str) -> tuple[str, int]:
    """The page, or the filter form with the reason a filter was refused (status 400)."""
    now = utcnow()
    error: PageError | None = None
    try:
        f = read_filters(request, now)
        hits, cards = filtered_hits(rt, f), entity_cards(rt, f)
    except PageError as exc:
        error, hits, cards = exc, [], []
        f = Filters(None, None, None, now - timedelta(days=DEFAULT_DAYS), now,
                    request.query_params.get("q"))
    csv_link = "trends.csv?" + "&".join(
        f"{k}={v}" for k, v in _encoded(f.params()).items())
    page = page_env().get_template("trends.html.j2").render(
        nonce=nonce, f=f, given=f.params(), hits=hits, cards=cards, csv_link=csv_link,
        error=str(error) if error else None, column=error.column if error else None,
        max_hits=MAX_HITS, **_choices(rt))
    return page, 400 if error else 200


def _encoded(params: dict[str, str]) -> dict[str, str]:
    return {k: quote(v, safe="") for k, v in params.items()}


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def hits_csv(rows: list[HitRow]) -> str:
    """The hits shown, one row each, outlets joined by ", "."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        d = r.as_dict()
        d["sources"] = ", ".join(src["name"] for src in d["sources"])
        writer.writerow([_cell(d.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def trends_csv(request: Request, rt: Runtime) -> Response:
    """``/trends.csv``: the hits the same filters show on the page."""
    try:
        rows = filtered_hits(rt, read_filters(request, utcnow()))
    except PageError as exc:
        return Response(f"{exc}\n", status_code=400, media_type="text/plain; charset=utf-8")
    return Response(hits_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="hits.csv"'})
