"""Per entity: the hourly and daily series over stored stories (backdated ones included),
their spikes merged into bursts, and after every cycle the recent bursts stored once with one
pending alert per subscriber that follows spikes of that entity."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.service.runtime import Runtime
from monitor.trends.series import (
    DAY,
    HOUR,
    Burst,
    Point,
    bucket_counts,
    bursts,
    days_of,
    floor,
    series,
)
from notifiers.channels import Recipient
from storage import Session
from storage.models import utcnow
from storage.trends import (
    SpikeFacts,
    entity_story_times,
    record_spike,
    story_briefs,
    story_times,
    top_outlets,
)

log = logging.getLogger(__name__)

RECENT = DAY          # bursts still showing in the last day are alerted; older ones are history
TOP_STORIES = 5
TOP_OUTLETS = 5


@dataclass
class EntityTrend:
    """One entity's series and bursts over a window."""

    watchlist: str
    entity: str
    daily: list[Point]
    hourly: list[Point]
    bursts: list[Burst]
    stories: dict[int, datetime]

    def burst_stories(self, burst: Burst) -> list[int]:
        """The entity's stories published during ``burst``, newest first."""
        inside = [(when, sid) for sid, when in self.stories.items()
                  if burst.start <= when < burst.end]
        return [sid for _, sid in sorted(inside, reverse=True)]


def entity_trends(session: Session, start: datetime, now: datetime, baseline: float,
                  min_count: int, watchlist: str | None = None, entity: str | None = None,
                  judge_hours_from: datetime | None = None,
                  outlet: str | None = None) -> list[EntityTrend]:
    """Series from ``start`` to ``now`` for every entity with stories then (or the one asked);
    hours before ``judge_hours_from`` are counted but not judged (hourly history is long).
    With ``outlet``, only its stories count, as shares of everything it carried."""
    window = timedelta(seconds=baseline)
    history = floor(start, DAY) - window
    totals = story_times(session, history, outlet)
    per_entity = entity_story_times(session, history, watchlist, entity, outlet)
    hour_totals = bucket_counts(totals, HOUR)
    day_totals = days_of(hour_totals)
    found = []
    for (wl, name), stories in sorted(per_entity.items()):
        if not any(when >= floor(start, DAY) for when in stories.values()) and not entity:
            continue
        hours = bucket_counts(stories.values(), HOUR)
        days = days_of(hours)
        daily = series(days, day_totals, start, now, DAY, window, min_count)
        hourly = series(hours, hour_totals, start, now, HOUR, window, min_count,
                        judge_from=judge_hours_from)
        spikes = [("day", p) for p in daily if p.spike] + [("hour", p) for p in hourly if p.spike]
        found.append(EntityTrend(wl, name, daily, hourly, bursts(spikes), stories))
    return found


def burst_facts(session: Session, trend: EntityTrend, burst: Burst) -> SpikeFacts:
    """What a spike alert says: count against usual, the top stories and outlets."""
    ids = trend.burst_stories(burst)
    briefs = story_briefs(session, ids)
    briefs.sort(key=lambda b: -len(b.outlets))   # stable: most outlets, then newest
    outlets = top_outlets(session, ids, TOP_OUTLETS)
    return SpikeFacts(trend.watchlist, trend.entity, burst.start, burst.last_bucket,
                      burst.series_name, max(burst.count, len(ids)), round(burst.usual, 2),
                      [b.as_dict() for b in briefs[:TOP_STORIES]],
                      [{"name": n, "stories": c} for n, c in outlets])


def spike_targets(recipients: Sequence[Recipient], watchlist: str,
                  entity: str) -> list[tuple[str, str]]:
    """(subscriber, channel) of everyone following spikes whose routing covers ``entity``."""
    return [(r.name, c.id) for r in recipients if r.spikes and r.covers(watchlist, entity)
            for c in r.channels]


def detect_spikes(rt: Runtime, now: datetime | None = None) -> int:
    """Judge the last day of every entity; store each new burst once with its pending alerts
    (a burst that goes on is extended, never re-alerted). Returns the new bursts."""
    now = now or utcnow()
    settings = rt.config.trends
    recent = now - RECENT
    with rt.db.read() as s:
        trends = entity_trends(s, floor(recent, DAY), now, settings.baseline,
                               settings.min_count, judge_hours_from=floor(recent, HOUR))
        facts = [burst_facts(s, t, b) for t in trends for b in t.bursts if b.end > recent]
    if not facts:
        return 0
    new = Counter[str]()
    with rt.db.session() as s:
        for f in facts:
            spike = record_spike(s, f, f.start - DAY,
                                 spike_targets(rt.config.subscribers, f.watchlist, f.entity))
            if spike is not None:
                new[f.entity] += 1
                log.info("spike: %s (%s) %d stories against %.1f usual, %s series",
                         f.entity, f.watchlist, f.count, f.usual, f.series)
    return sum(new.values())
