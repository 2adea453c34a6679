"""Read-side views for the HTTP page and feeds: mentions per day, recent stories per watchlist."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Feed, Hit, Story, utcnow


def mentions_per_day(session: Session, days: int, today: date | None = None
                     ) -> tuple[list[date], dict[str, list[int]]]:
    """Per watchlist, stories mentioning it on each of the last ``days`` days (UTC).

    A mention is dated by the story's publication, else by when the hit was found."""
    today = today or utcnow().date()
    axis = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    start = datetime.combine(axis[0], datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
    when = func.coalesce(Story.published_at, Hit.created_at)
    rows = session.execute(
        select(Hit.watchlist, Hit.story_id, Story.published_at, Hit.created_at)
        .join(Story, Hit.story_id == Story.id)
        .where(when >= start, Hit.created_at >= start - timedelta(days=days)))
    index = {d: i for i, d in enumerate(axis)}
    seen: set[tuple[str, int]] = set()
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    for watchlist, story_id, published, created in rows:
        if (watchlist, story_id) in seen:
            continue
        seen.add((watchlist, story_id))
        day = (published or created).date()
        if day in index:
            counts[watchlist][index[day]] += 1
    return axis, dict(counts)


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
                                   feed_name or "", story.published_at, found)
               for story, found, feed_name in rows}
    if stories:
        for hit in session.scalars(select(Hit).where(Hit.watchlist == watchlist,
                                                     Hit.story_id.in_(list(stories)))
                                   .order_by(Hit.id)):
            stories[hit.story_id].entities.append((hit.entity, hit.matched, hit.context))
    return list(stories.values())
