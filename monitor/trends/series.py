"""An entity's stories per hour or day as a share of all stories, judged against its own
trailing baseline robustly (median and MAD), and its spikes merged into bursts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
STEPS = {"hour": HOUR, "day": DAY}
MAD_SCALE = 1.4826   # MAD to a standard deviation for normal data
THRESHOLD = 4.0      # how many deviations above usual a spike must be (3 let Poisson noise through)
MIN_RATIO = 2.0      # and at least this many times the usual count
MIN_HISTORY = 3      # buckets with stories needed before a share's median means anything
MIN_ACTIVE = 3       # baseline buckets in which the entity itself had stories (a new one has none)


def floor(moment: datetime, step: timedelta) -> datetime:
    """The start of the UTC hour or day ``moment`` falls in."""
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if step == DAY else moment


def bucket_counts(times: Iterable[datetime], step: timedelta) -> Counter[datetime]:
    """How many of ``times`` (aware) fall in each UTC bucket; counted on epoch seconds, which
    is several times faster than flooring each datetime (UTC hours and days are whole)."""
    seconds = int(step.total_seconds())
    counts = Counter(int(t.timestamp()) // seconds for t in times)
    return Counter({datetime.fromtimestamp(k * seconds, UTC): n for k, n in counts.items()})


def days_of(hours: Counter[datetime]) -> Counter[datetime]:
    """Hourly counts summed into their UTC days."""
    days: Counter[datetime] = Counter()
    for hour, n in hours.items():
        days[floor(hour, DAY)] += n
    return days


@dataclass(frozen=True)
class Point:
    """One bucket of an entity's series: its stories, their share of all stories, the count
    its baseline makes usual for that many stories, and whether it is a spike."""

    bucket: datetime
    count: int
    total: int
    share: float
    usual: float
    spike: bool

    def as_dict(self) -> dict:
        return {"bucket": self.bucket.isoformat(), "count": self.count,
                "share": round(self.share, 4), "baseline": round(self.usual, 2),
                "spike": self.spike}


def judge(count: int, total: int, history: list[float], min_count: int) -> tuple[float, bool]:
    """The usual count for ``total`` stories given earlier shares, and whether ``count`` is a
    spike: at least ``min_count``, twice usual, and THRESHOLD robust deviations above it. A
    sparse history's median is 0, so the mean stands in when larger; the deviation is never
    below Poisson noise (so 0 → 2 or a quiet entity's ordinary day is not a spike). Before
    MIN_HISTORY buckets with stored stories there is no baseline and no spike, and an entity
    with stories in fewer than MIN_ACTIVE baseline buckets (newly watched: stories stored before
    it was added have no hit for it) has no history to spike against."""
    if len(history) < MIN_HISTORY:   # the first stored days: nothing to be unusual against
        return 0.0, False
    middle = max(median(history), sum(history) / len(history))
    usual = middle * total
    spread = MAD_SCALE * median(abs(s - middle) for s in history) * total
    scale = max(spread, math.sqrt(max(usual, 1.0)))
    active = sum(1 for s in history if s > 0)
    spike = (active >= MIN_ACTIVE and count >= min_count and count >= MIN_RATIO * usual
             and count > usual + THRESHOLD * scale)
    return usual, spike


def series(entity: Mapping[datetime, int], totals: Mapping[datetime, int], start: datetime,
           end: datetime, step: timedelta, baseline: timedelta, min_count: int,
           judge_from: datetime | None = None) -> list[Point]:
    """Buckets from ``start`` to ``end`` (inclusive, floored); each judged against the
    ``baseline`` before it. Buckets before ``judge_from`` are counted but not judged, and so
    are hours under ``min_count`` (their usual is left 0: only days show it)."""
    first, last = floor(start, step), floor(end, step)
    window = max(1, round(baseline / step))
    shares: dict[datetime, float] = {}
    moment = first - window * step
    while moment <= last:
        if totals.get(moment, 0) > 0:
            shares[moment] = entity.get(moment, 0) / totals[moment]
        moment += step
    points = []
    moment = first
    while moment <= last:
        count, total = entity.get(moment, 0), max(totals.get(moment, 0), entity.get(moment, 0))
        usual, spike = 0.0, False
        judged = judge_from is None or moment >= judge_from
        if judged and (step == DAY or count >= min_count):   # a quiet hour cannot be a spike
            history = [shares[b] for n in range(1, window + 1)
                       if (b := moment - n * step) in shares]
            usual, spike = judge(count, total, history, min_count)
        points.append(Point(moment, count, total, count / total if total else 0.0, usual, spike))
        moment += step
    return points


@dataclass
class Burst:
    """Spike buckets of one entity that touch, in either series: one spike to report."""

    start: datetime
    end: datetime
    series: set[str] = field(default_factory=set)
    count: int = 0
    usual: float = 0.0

    @property
    def last_bucket(self) -> datetime:
        return max(self.start, self.end - HOUR)

    @property
    def series_name(self) -> str:
        return "+".join(sorted(self.series))


def bursts(spikes: Iterable[tuple[str, Point]]) -> list[Burst]:
    """Merge spike buckets (``("hour" | "day", point)``) that overlap or touch into bursts,
    oldest first; each keeps the largest count among its buckets and that bucket's usual."""
    spans = sorted(((p.bucket, p.bucket + STEPS[name], name, p) for name, p in spikes),
                   key=lambda s: (s[0], -s[1].timestamp()))
    found: list[Burst] = []
    for start, end, name, point in spans:
        if found and start <= found[-1].end:
            burst = found[-1]
            burst.end = max(burst.end, end)
        else:
            burst = Burst(start, end)
            found.append(burst)
        burst.series.add(name)
        if point.count > burst.count:
            burst.count, burst.usual = point.count, point.usual
    return found
