"""Read-side views: stories per day for every chart, recent stories per watchlist."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Feed, Hit, Story, utcnow

PLAUSIBLE_SLACK = timedelta(days=1)
CHART_NOTE = ("Each story counts once, on the day it was published (the day it was found when it "
              "has no plausible date)")


@dataclass(frozen=True)
class DailyCounts:
    """Stories per day, ``days`` oldest first; each story counts once per bucket."""

    days: list[date]
    by_entity: dict[tuple[str, str], list[int]]
    by_watchlist: dict[str, list[int]]
    total: list[int]
    earlier: int = 0    # selected (or found in the window) but published before it

    def entity(self, watchlist: str, entity: str) -> list[int]:
        return self.by_entity.get((watchlist, entity), [0] * len(self.days))

    def watchlist(self, name: str) -> list[int]:
        return self.by_watchlist.get(name, [0] * len(self.days))


def published_or_found(published: datetime | None, found: datetime) -> datetime:
    """A story's date: published, unless missing or more than a day after it was found (a
    feed's bad date); stored as the story's ``published_at`` and counted in every chart."""
    if published is not None and published <= found + PLAUSIBLE_SLACK:
        return published
    return found


def story_day(published: datetime | None, found: datetime, tz: tzinfo) -> date:
    """The day a story counts on (see ``published_or_found``), in the reader's time zone."""
    return published_or_found(published, found).astimezone(tz).date()


def stories_per_day(session: Session, days: int, now: datetime | None = None,
                    tz: tzinfo = UTC, story_ids: Collection[int] | None = None,
                    keep: Callable[[str, str, float], bool] | None = None) -> DailyCounts:
    """The one chart definition of the page, digests and summaries: stories per local day.

    ``story_ids`` limits the count to a message's stories; ``keep(watchlist, entity, score)``
    to the hits a reader sees (a page filter, a subscriber's routing)."""
    today = (now or utcnow()).astimezone(tz).date()
    axis = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    start = datetime.combine(axis[0], time.min, tzinfo=tz).astimezone(UTC)
    query = (select(Hit.watchlist, Hit.entity, Hit.score, Hit.story_id, Story.published_at,
                    Story.first_seen_at).join(Story, Hit.story_id == Story.id))
    if story_ids is not None:
        query = query.where(Hit.story_id.in_(list(story_ids)))
    else:   # a plausible date is at most a day after the story was found
        query = query.where(Story.first_seen_at >= start - PLAUSIBLE_SLACK)
    index = {d: i for i, d in enumerate(axis)}
    buckets: dict[object, list[set[int]]] = defaultdict(lambda: [set() for _ in axis])
    earlier: set[int] = set()
    for watchlist, entity, score, story_id, published, found in session.execute(query):
        if keep is not None and not keep(watchlist, entity, score):
            continue
        i = index.get(min(story_day(published, found, tz), today))   # a day ahead: today
        if i is None:
            if story_ids is not None or found >= start:
                earlier.add(story_id)
            continue
        for key in ((watchlist, entity), watchlist, None):
            buckets[key][i].add(story_id)
    counted = {sid for day in buckets[None] for sid in day}
    sizes = {key: [len(day) for day in per_day] for key, per_day in buckets.items()}
    return DailyCounts(axis, {k: v for k, v in sizes.items() if isinstance(k, tuple)},
                       {k: v for k, v in sizes.items() if isinstance(k, str)},
                       sizes.get(None, [0] * days), len(earlier - counted))


@dataclass
class StoryHits:
    """A story and the entities of one watchlist it mentions: one entry in a watchlist's feed."""

    story_id: int
    title: str
    link: str | None
    summary: str
    source: str
    published_at: datetime | None
    found_at: datetime
    entities: list[tuple[str, str, str]] = field(default_factory=list)


def recent_story_hits(session: Session, watchlist: str, limit: int) -> list[StoryHits]:
    """The ``limit`` stories most recently hit in ``watchlist``, newest first."""
    newest = (select(Hit.story_id, func.max(Hit.created_at).label("found"))
              .where(Hit.watchlist == watchlist).group_by(Hit.story_id)
              .order_by(func.max(Hit.created_at).desc(), Hit.story_id.desc())
              .limit(limit).subquery())
    rows = session.execute(
        select(Story, newest.c.found, Feed.name).join(newest, newest.c.story_id == Story.id)
        .outerjoin(Feed, Story.feed_id == Feed.id)
        .order_by(newest.c.found.desc(), Story.id.desc()))
    stories = {story.id: StoryHits(story.id, story.title, story.link, story.summary,
                                   story.outlet or feed_name or "", story.published_at, found)
               for story, found, feed_name in rows}
    if stories:
        for hit in session.scalars(select(Hit).where(Hit.watchlist == watchlist,
                                                     Hit.story_id.in_(list(stories)))
                                   .order_by(Hit.id)):
            stories[hit.story_id].entities.append((hit.entity, hit.matched, hit.context))
    return list(stories.values())
