"""Read-side queries shared by the CLI (and later the HTTP API)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import MonitorError
from storage.links import web_link
from storage.models import Feed, Hit, Story, StorySource


def parse_since(value: str) -> datetime:
    """A user's ISO date or time as an aware UTC time (naive is UTC); ValueError when unusable.

    Times a zone offset pushes outside datetime's range (year 1 at +01:00) are refused here,
    not by the database driver."""
    try:
        dt = datetime.fromisoformat(value)
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not an ISO date or time: {value!r}") from exc


class UnknownWatchlist(MonitorError, LookupError):
    """A watchlist name that is neither configured nor in the stored hits."""

    def __init__(self, name: str, known: Iterable[str]):
        self.name, self.known = name, sorted(set(known), key=str.casefold)
        super().__init__(f"no watchlist named {name!r}; known: {', '.join(self.known)}")


def stored_watchlists(session: Session) -> list[str]:
    """Names that stored hits carry (a watchlist removed from the config keeps its history)."""
    return list(session.scalars(select(Hit.watchlist).distinct()))


def find_name(name: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``name`` spells, ignoring case; None when there is none."""
    wanted = name.casefold()
    return next((n for n in names if n.casefold() == wanted), None)


def resolve_watchlist(name: str, configured: Sequence[str],
                      stored: Callable[[], Sequence[str]]) -> str:
    """The watchlist ``name`` means (any case), configured or else stored; else UnknownWatchlist.

    ``stored`` (the names in the hits table) is only asked when no configured name fits."""
    found = find_name(name, configured)
    if found is None:
        stored_names = stored()
        found = find_name(name, stored_names)
        if found is None:
            raise UnknownWatchlist(name, [*configured, *stored_names])
    return found


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
    published_at: datetime | None = None
    sources: tuple[tuple[str, str | None], ...] = ()  # (outlet, its link), first seen first

    def as_dict(self) -> dict:
        """The JSON shape of ``/api/hits`` and ``monitor hits``; a link that is not http(s)
        (an old row) is null."""
        d = self.__dict__.copy()
        d["created_at"] = self.created_at.isoformat()
        d["published_at"] = self.published_at.isoformat() if self.published_at else None
        d["link"] = web_link(self.link)
        d["sources"] = [{"name": name, "link": web_link(link)} for name, link in self.sources]
        return d


def story_sources(session: Session, story_ids: Iterable[int]
                  ) -> dict[int, tuple[tuple[str, str | None], ...]]:
    """Every outlet each story was seen in (one per feed), in the order they were seen: the
    publisher an aggregator named, else the feed."""
    found: dict[int, dict[int, tuple[str, str | None]]] = {}
    ids = sorted(set(story_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(StorySource.story_id, StorySource.feed_id, Feed.name, StorySource.link,
                   StorySource.outlet)
            .join(Feed, StorySource.feed_id == Feed.id)
            .where(StorySource.story_id.in_(ids[start:start + 500])).order_by(StorySource.id))
        for story_id, feed_id, name, link, outlet in rows:
            found.setdefault(story_id, {}).setdefault(feed_id, (outlet or name or "", link))
    return {story_id: tuple(feeds.values()) for story_id, feeds in found.items()}


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
    rows = session.execute(q).all()
    sources = story_sources(session, (s.id for _, s, _ in rows))
    return [HitRow(id=h.id, created_at=h.created_at, watchlist=h.watchlist, entity=h.entity,
                   matched=h.matched, field=h.field, score=h.score, title=s.title, link=s.link,
                   source=s.outlet or feed_name or "", context=h.context,
                   published_at=s.published_at,
                   sources=sources.get(s.id, ()))
            for h, s, feed_name in rows]
