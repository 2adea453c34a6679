"""What a message says: one story's alert, or a digest grouped by watchlist and entity."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifiers.channels import Recipient
from notifiers.messages import Alert, AlertHit
from storage import Hit, Story

BARS = "▁▂▃▄▅▆▇█"
CHART_DAYS = 7
BAR_PX = 160


def sparkline(counts: Sequence[int]) -> str:
    """``▁▂▃▅▇``-style line; any non-zero day gets at least the second bar."""
    top = max(counts, default=0)
    if top == 0:
        return BARS[0] * len(counts)
    return "".join(BARS[0] if c == 0 else BARS[max(1, round(c / top * (len(BARS) - 1)))]
                   for c in counts)


def _alert_hit(h: Hit, story: Story) -> AlertHit:
    return AlertHit(h.watchlist, h.entity, h.matched, h.context or story.title, h.field)


def _sources(story: Story) -> tuple[str, tuple[str, ...]]:
    names = [s.feed.name for s in story.sources if s.feed is not None]
    source = story.feed.name if story.feed is not None else (names[0] if names else "")
    return source, tuple(dict.fromkeys(n for n in names if n != source))


def build_alert(story: Story, hits: Iterable[Hit], recipient: Recipient) -> Alert | None:
    """The alert a subscriber gets for a story: only the hits their routing lets through."""
    mine = [h for h in hits if recipient.wants_hit(h.watchlist, h.entity, h.score)]
    if not mine:
        return None
    source, others = _sources(story)
    return Alert(title=story.title or "(untitled)", link=story.link, source=source,
                 hits=tuple(_alert_hit(h, story) for h in mine),
                 published=story.published_at, other_sources=others)


def sample_alert() -> Alert:
    """What ``monitor notify-test`` sends: realistic, and plainly a test."""
    return Alert(
        title="[TEST] ICE agents detain dozens in early-morning raids",
        link="https://example.org/monitor-test", source="ice-monitor notify-test",
        hits=(AlertHit("ICE", "ICE", "Immigration and Customs Enforcement",
                       "This is a test alert. U.S. Immigration and Customs Enforcement said the "
                       "operation targeted workers at three sites.", "summary"),),
        published=datetime.now(UTC))


@dataclass(frozen=True)
class DigestStory:
    """A story under one entity of a digest, with that entity's evidence."""

    title: str
    link: str | None
    source: str
    other_sources: tuple[str, ...]
    published: datetime | None
    hit: AlertHit


@dataclass(frozen=True)
class EntityGroup:
    """One watched entity: how many stories, which, and its mentions per day."""

    watchlist: str
    entity: str
    count: int
    stories: tuple[DigestStory, ...]
    spark: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.stories)


@dataclass(frozen=True)
class WatchlistGroup:
    name: str
    count: int
    entities: tuple[EntityGroup, ...]


@dataclass(frozen=True)
class DayCount:
    """One bar of the per-day chart; ``width`` in pixels for HTML."""

    day: date
    count: int
    width: int

    @property
    def label(self) -> str:
        return self.day.strftime("%a %d %b")


@dataclass(frozen=True)
class Digest:
    """Several stories in one message: a scheduled digest, or held/flood alerts combined."""

    reason: str
    subscriber: str
    generated: datetime
    timezone: str
    stories: int
    watchlists: tuple[WatchlistGroup, ...]
    days: tuple[DayCount, ...] = ()
    spark: str = ""

    @property
    def counts(self) -> str:
        """``ICE (5), Amazon (2)``: entities by story count."""
        groups = sorted((e for w in self.watchlists for e in w.entities),
                        key=lambda e: (-e.count, e.entity))
        return ", ".join(f"{e.entity} ({e.count})" for e in groups)

    @property
    def headline(self) -> str:
        n = self.stories
        noun = "story" if n == 1 else "stories"
        lead = {"held": f"{n} {noun} held during quiet hours",
                "flood": f"{n} {noun} combined into one alert"}.get(
                    self.reason, f"Digest: {n} {noun}")
        return f"{lead} — {self.counts}"

    @property
    def period(self) -> str:
        if not self.days:
            return ""
        return f"{self.days[0].day:%d %b} – {self.days[-1].day:%d %b}"

    def limited(self, per_entity: int) -> Digest:
        """The same digest listing at most ``per_entity`` stories under each entity."""
        return replace(self, watchlists=tuple(
            replace(w, entities=tuple(replace(e, stories=e.stories[:per_entity])
                                      for e in w.entities))
            for w in self.watchlists))

    @property
    def longest(self) -> int:
        return max((len(e.stories) for w in self.watchlists for e in w.entities), default=0)


def mentions_by_day(session: Session, recipient: Recipient, now: datetime,
                    days: int = CHART_DAYS) -> tuple[list[date], dict[tuple[str, str], list[int]]]:
    """Hits the subscriber would get, per (watchlist, entity) per local day, ending today."""
    tz = recipient.tz
    today = now.astimezone(tz).date()
    span = [today - timedelta(days=days - 1 - i) for i in range(days)]
    start = datetime.combine(span[0], datetime.min.time(), tzinfo=tz).astimezone(UTC)
    index = {d: i for i, d in enumerate(span)}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * days)
    rows = session.execute(select(Hit.watchlist, Hit.entity, Hit.score, Hit.created_at)
                           .where(Hit.created_at >= start))
    for watchlist, entity, score, created in rows:
        i = index.get(created.astimezone(tz).date())
        if i is not None and recipient.wants_hit(watchlist, entity, score):
            counts[(watchlist, entity)][i] += 1
    return span, counts


def build_digest(session: Session, stories: Sequence[Story], recipient: Recipient,
                 reason: str, now: datetime) -> Digest | None:
    """Group ``stories`` by watchlist, then entity, newest first, with a per-day chart."""
    by_entity: dict[tuple[str, str], list[DigestStory]] = defaultdict(list)
    seen: set[int] = set()
    per_watchlist: dict[str, set[int]] = defaultdict(set)
    ordered = sorted(stories, key=lambda s: (s.published_at or s.first_seen_at), reverse=True)
    for story in ordered:
        source, others = _sources(story)
        for h in story.hits:
            if not recipient.wants_hit(h.watchlist, h.entity, h.score):
                continue
            seen.add(story.id)
            per_watchlist[h.watchlist].add(story.id)
            by_entity[(h.watchlist, h.entity)].append(DigestStory(
                story.title or "(untitled)", story.link, source, others, story.published_at,
                _alert_hit(h, story)))
    if not seen:
        return None
    span, per_day = mentions_by_day(session, recipient, now)
    groups: dict[str, list[EntityGroup]] = defaultdict(list)
    for (watchlist, entity), items in by_entity.items():
        groups[watchlist].append(EntityGroup(watchlist, entity, len(items), tuple(items),
                                             sparkline(per_day.get((watchlist, entity),
                                                                   [0] * len(span)))))
    watchlists = []
    for name in sorted(groups, key=lambda w: (-len(per_watchlist[w]), w)):
        entities = tuple(sorted(groups[name], key=lambda e: (-e.count, e.entity)))
        watchlists.append(WatchlistGroup(name, len(per_watchlist[name]), entities))
    totals = [sum(c[i] for c in per_day.values()) for i in range(len(span))]
    top = max(totals, default=0) or 1
    days = tuple(DayCount(d, c, round(c / top * BAR_PX)) for d, c in zip(span, totals,
                                                                          strict=True))
    return Digest(reason=reason, subscriber=recipient.name, generated=now.astimezone(recipient.tz),
                  timezone=recipient.timezone, stories=len(seen), watchlists=tuple(watchlists),
                  days=days, spark=sparkline(totals))
