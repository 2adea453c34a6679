"""The read-only HTML page: recent hits and a mentions-per-day chart per watchlist."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.runtime import Runtime
from storage.queries import list_hits
from storage.reports import mentions_per_day

CHART_DAYS = 30
RECENT_HITS = 100


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("monitor.web", "templates"),
                       autoescape=select_autoescape(["html", "j2"]))


def render_index(rt: Runtime, health: dict[str, Any], watchlist: str | None,
                 atom_url: Callable[[str], str]) -> str:
    """Server-rendered page; the chart bars are drawn by a small inline script (no CDN)."""
    with rt.db.read() as s:
        hits = list_hits(s, watchlist or None, None, None, RECENT_HITS)
        days, counts = mentions_per_day(s, CHART_DAYS)
    names = [w.name for w in rt.watchlists]
    names += sorted(set(counts) - set(names))
    charts = [{"name": n, "total": sum(counts.get(n, [])),
               "counts": json.dumps(counts.get(n, [0] * len(days))),
               "atom": atom_url(n) if any(w.name == n for w in rt.watchlists) else None}
              for n in names]
    return _env().get_template("index.html.j2").render(
        hits=hits, charts=charts, days=json.dumps([d.isoformat() for d in days]),
        first_day=days[0].isoformat(), last_day=days[-1].isoformat(), health=health,
        watchlist=watchlist, feeds=len(rt.config.feeds))
