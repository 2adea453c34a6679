"""Reads and writes of a backtest: stored stories page by page with their hits, and the hits a
changed watchlist gains (stored without alerting)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.hits import StoredHit, story_hits
from storage.models import Story
from storage.stories import insert_hits

PAGE = 2000


@dataclass(frozen=True)
class StoredStory:
    """A stored story's text and hits, as a backtest re-matches it."""

    id: int
    title: str
    summary: str
    language: str | None
    hits: list[StoredHit]


def stored_stories(session: Session, since: datetime | None,
                   page: int | None = None) -> Iterator[list[StoredStory]]:
    """Stories first seen at or after ``since`` (all: None), oldest first, ``page`` (default
    PAGE) at a time."""
    page = page or PAGE
    after = 0
    while True:
        q = (select(Story.id, Story.title, Story.summary, Story.language)
             .where(Story.id > after).order_by(Story.id).limit(page))
        if since is not None:
            q = q.where(Story.first_seen_at >= since)
        rows = session.execute(q).all()
        if not rows:
            return
        hits = story_hits(session, [r[0] for r in rows])
        yield [StoredStory(sid, title or "", summary or "", language, hits.get(sid, []))
               for sid, title, summary, language in rows]
        after = rows[-1][0]


def add_hits(session: Session, rows: list[dict]) -> int:
    """Store gained hits (no delivery is written: old stories are not alerted)."""
    for start in range(0, len(rows), 500):
        insert_hits(session, rows[start:start + 500])
    return len(rows)
