"""The read-only HTML page: recent hits and a mentions-per-day chart per watchlist."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.service.runtime import Runtime
from storage.hits import list_hits
from storage.links import web_link
from storage.reports import CHART_NOTE, stories_per_day

CHART_DAYS = 30
RECENT_HITS = 100


@cache
def page_env() -> Environment:
    env = Environment(loader=PackageLoader("monitor.web", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["web_link"] = web_link
    return env


def render_index(rt: Runtime, health: dict[str, Any], watchlist: str | None,
                 atom_url: Callable[[str], str], nonce: str = "") -> str:
    """Server-rendered page; the chart bars are drawn by a small inline script (no CDN)."""
    wanted = (lambda wl, _entity, _score: wl == watchlist) if watchlist else None
    with rt.db.read() as s:
        hits = list_hits(s, watchlist or None, None, None, RECENT_HITS)
        chart = stories_per_day(s, CHART_DAYS, keep=wanted)
    days = chart.days
    names = [w.name for w in rt.watchlists]
    names += sorted(set(chart.by_watchlist) - set(names))
    names = [n for n in names if not watchlist or n == watchlist]
    charts = [{"name": n, "total": sum(chart.watchlist(n)),
               "counts": json.dumps(chart.watchlist(n)),
               "atom": atom_url(n) if any(w.name == n for w in rt.watchlists) else None}
              for n in names]
    return page_env().get_template("index.html.j2").render(nonce=nonce,
        hits=hits, charts=charts, days=json.dumps([d.isoformat() for d in days]),
        first_day=days[0].isoformat(), last_day=days[-1].isoformat(), health=health,
        watchlist=watchlist, feeds=len(rt.config.feeds), chart_days=CHART_DAYS,
        chart_note=CHART_NOTE, earlier=chart.earlier)
