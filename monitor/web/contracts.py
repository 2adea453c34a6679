"""The Contracts view: amounts obligated per month per recipient (awards and modifications
from ``[[records]]``), drawn as bars on the server, and the latest record actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import Environment

from monitor.service.runtime import Runtime
from monitor.sources.records.common import display_name, exact_money, money
from storage.records import latest_records, obligations_by_month

MONTHS = 12
LATEST = 50
TOP_RECIPIENTS = 12
BAR_W, CHART_H = 40, 120


def month_axis(today: date, months: int = MONTHS) -> list[str]:
    """The last ``months`` months, oldest first, as ``YYYY-MM``."""
    year, month = today.year, today.month
    axis = []
    for _ in range(months):
        axis.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return axis[::-1]


def recipient_charts(by_recipient: dict[str, dict[str, float]],
                     axis: list[str]) -> list[dict[str, Any]]:
    """One chart per recipient (largest total first): each month's bar height and label;
    deobligations (negative months) draw no bar but keep their figure."""
    charts: list[dict[str, Any]] = []
    for recipient, months in by_recipient.items():
        values = [months.get(m, 0.0) for m in axis]
        top = max([v for v in values if v > 0], default=0.0)
        bars = [{"month": m, "x": i * BAR_W, "amount": money(v) or "$0", "value": v,
                 "h": round(CHART_H * v / top, 1) if top and v > 0 else 0}
                for i, (m, v) in enumerate(zip(axis, values, strict=True))]
        charts.append({"recipient": display_name(recipient), "total": sum(values),
                       "total_text": money(sum(values)) or "$0", "bars": bars})
    charts.sort(key=lambda c: -float(c["total"]))
    return charts[:TOP_RECIPIENTS]


def render_contracts(rt: Runtime, env: Environment, today: date, nonce: str = "") -> str:
    """The page: the charts, then the latest actions of every records provider."""
    axis = month_axis(today)
    with rt.db.read() as s:
        charts = recipient_charts(obligations_by_month(s, axis[0] + "-01"), axis)
        latest = latest_records(s, LATEST)
    rows = [{"date": r.acted_on or "–", "provider": r.provider, "action": r.action,
             "agency": r.agency, "recipient": display_name(r.recipient),
             "amount": exact_money(r.amount_obligated), "title": r.title, "link": r.link,
             "deadline": r.facts.get("comments_close_on") or ""} for r in latest]
    return env.get_template("contracts.html.j2").render(
        nonce=nonce, charts=charts, axis=axis, latest=rows, width=BAR_W * len(axis),
        height=CHART_H, bar_w=BAR_W)
