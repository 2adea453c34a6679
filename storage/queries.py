"""Read-side queries shared by the CLI (and later the HTTP API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Feed, Hit, Story


@dataclass(frozen=True)
class HitRow:
    """A stored hit flattened with its story, for listing."""

    id: int
    created_at: datetime
    watchlist: str
    entity: str
    matched: str
    field: str
    score: float
    title: str
    link: str | None
    source: str
    context: str

    def as_dict(self) -> dict:
        d = self.__dict__.copy()
        d["created_at"] = self.created_at.isoformat()
        return d


def list_hits(session: Session, watchlist: str | None = None, entity: str | None = None,
              since: datetime | None = None, limit: int | None = None) -> list[HitRow]:
    """Hits newest first, optionally filtered by watchlist, entity and time."""
    q = (select(Hit, Story, Feed.name).join(Story, Hit.story_id == Story.id)
         .outerjoin(Feed, Story.feed_id == Feed.id)
         .order_by(Hit.created_at.desc(), Hit.id.desc()))
    if watchlist:
        q = q.where(Hit.watchlist == watchlist)
    if entity:
        q = q.where(Hit.entity == entity)
    if since:
        q = q.where(Hit.created_at >= since)
    if limit:
        q = q.limit(limit)
    return [HitRow(id=h.id, created_at=h.created_at, watchlist=h.watchlist, entity=h.entity,
                   matched=h.matched, field=h.field, score=h.score, title=s.title, link=s.link,
                   source=feed_name or "", context=h.context)
            for h, s, feed_name in session.execute(q)]
