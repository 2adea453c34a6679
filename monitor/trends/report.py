"""Each entity's daily series and bursts over a window, in the shape ``monitor trends`` and
the page share: ``{"entity", "watchlist", "series": [...], "spikes": [...]}``."""

from __future__ import annotations

from datetime import datetime

from monitor.trends.detect import EntityTrend, burst_facts, entity_trends
from storage import Session


def trend_record(session: Session, trend: EntityTrend) -> dict:
    """One entity: its day buckets (UTC) and its bursts, hourly or daily, with their stories."""
    spikes = []
    for burst in trend.bursts:
        facts = burst_facts(session, trend, burst)
        spikes.append({"start": facts.start.isoformat(), "count": facts.count,
                       "usual": facts.usual, "series": facts.series,
                       "stories": facts.stories, "outlets": facts.outlets})
    return {"entity": trend.entity, "watchlist": trend.watchlist,
            "series": [p.as_dict() for p in trend.daily], "spikes": spikes}


def trend_records(session: Session, start: datetime, now: datetime, baseline: float,
                  min_count: int, watchlist: str | None = None,
                  entity: str | None = None) -> list[dict]:
    """Every entity with stories since ``start`` (or the one asked), by watchlist and name."""
    return [trend_record(session, t) for t in entity_trends(
        session, start, now, baseline, min_count, watchlist, entity, judge_hours_from=start)]
