"""Trend SQL: when each story (and each entity's story) was published, stored spikes and their
alert ledger, co-mentions and outlets for the page."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from storage.hits import HitRow, story_sources
from storage.links import web_link
from storage.models import Feed, Hit, Spike, SpikeAlert, Story, StorySource


def _published_since(since: datetime):
    """Stories dated at or after ``since``: the publication date (stored plausible, see
    storage.reports.published_or_found), else when it was found."""
    return or_(Story.published_at >= since,
               and_(Story.published_at.is_(None), Story.first_seen_at >= since))


def _when(published: datetime | None, found: datetime) -> datetime:
    return published if published is not None else found


def _carried_by(outlet: str):
    """Stories one outlet (feed name) carried."""
    return Story.id.in_(select(StorySource.story_id).join(Feed, StorySource.feed_id == Feed.id)
                        .where(Feed.name == outlet))


def story_times(session: Session, since: datetime, outlet: str | None = None) -> list[datetime]:
    """When every story stored since ``since`` (carried by ``outlet``, if given) was
    published: what entity counts are shares of."""
    query = select(Story.published_at, Story.first_seen_at).where(_published_since(since))
    if outlet:
        query = query.where(_carried_by(outlet))
    return [_when(p, f) for p, f in session.execute(query)]


def entity_story_times(session: Session, since: datetime, watchlist: str | None = None,
                       entity: str | None = None, outlet: str | None = None
                       ) -> dict[tuple[str, str], dict[int, datetime]]:
    """Per (watchlist, entity): its stories since ``since`` (carried by ``outlet``, if given)
    and when each was published (one story counts once, however many outlets carried it)."""
    query = (select(Hit.watchlist, Hit.entity, Story.id, Story.published_at, Story.first_seen_at)
             .join(Story, Hit.story_id == Story.id).where(_published_since(since)))
    if watchlist:
        query = query.where(Hit.watchlist == watchlist)
    if entity:
        query = query.where(Hit.entity == entity)
    if outlet:
        query = query.where(_carried_by(outlet))
    found: dict[tuple[str, str], dict[int, datetime]] = {}
    for wl, name, story_id, published, first_seen in session.execute(query):
        found.setdefault((wl, name), {})[story_id] = _when(published, first_seen)
    return found


@dataclass(frozen=True)
class StoryBrief:
    """A story as a spike alert names it."""

    id: int
    title: str
    link: str | None
    outlets: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "link": web_link(self.link),
                "outlets": list(self.outlets)}


def story_briefs(session: Session, ids: Sequence[int]) -> list[StoryBrief]:
    """Title, link and outlets of ``ids``, in that order (unknown ids are left out)."""
    rows = {sid: (title, link) for sid, title, link in session.execute(
        select(Story.id, Story.title, Story.link).where(Story.id.in_(list(ids))))}
    sources = story_sources(session, rows)
    return [StoryBrief(sid, rows[sid][0] or "", rows[sid][1],
                       tuple(name for name, _ in sources.get(sid, ()) if name))
            for sid in ids if sid in rows]


def latest_spike(session: Session, watchlist: str, entity: str,
                 since: datetime) -> Spike | None:
    """The entity's spike still showing at or after ``since``: a burst that goes on."""
    return session.scalars(select(Spike).where(
        Spike.watchlist == watchlist, Spike.entity == entity, Spike.last_bucket >= since)
        .order_by(Spike.last_bucket.desc()).limit(1)).first()


@dataclass(frozen=True)
class SpikeFacts:
    """What detection says of one burst."""

    watchlist: str
    entity: str
    start: datetime
    last_bucket: datetime
    series: str
    count: int
    usual: float
    stories: list[dict]
    outlets: list[dict]


def record_spike(session: Session, facts: SpikeFacts, merge_after: datetime,
                 targets: Iterable[tuple[str, str]]) -> Spike | None:
    """Store a burst; one still showing since ``merge_after`` is extended instead and queues
    nothing. A new one queues a pending alert per (subscriber, channel); returns it, else None
    (also when another worker stored the same burst first)."""
    known = latest_spike(session, facts.watchlist, facts.entity, merge_after)
    if known is not None:
        known.last_bucket = max(known.last_bucket, facts.last_bucket)
        if facts.count > known.count:
            known.count, known.usual = facts.count, facts.usual
            known.stories, known.outlets = json.dumps(facts.stories), json.dumps(facts.outlets)
        if facts.series not in known.series.split("+"):
            known.series = "hour+day"
        return None
    spike = Spike(watchlist=facts.watchlist, entity=facts.entity, start=facts.start,
                  last_bucket=facts.last_bucket, series=facts.series, count=facts.count,
                  usual=facts.usual, stories=json.dumps(facts.stories),
                  outlets=json.dumps(facts.outlets))
    try:
        with session.begin_nested():
            session.add(spike)
            session.flush()
            session.add_all(SpikeAlert(spike_id=spike.id, subscriber=name, channel=channel)
                            for name, channel in dict.fromkeys(targets))
            session.flush()
    except IntegrityError:  # a burst another worker stored at the same start
        return None
    return spike


def due_spike_alerts(session: Session, now: datetime,
                     limit: int = 200) -> list[tuple[SpikeAlert, Spike]]:
    """Pending spike alerts whose time has come (and claimed ones whose lease ran out),
    oldest first."""
    rows = session.execute(select(SpikeAlert, Spike).join(Spike, SpikeAlert.spike_id == Spike.id)
                           .where(SpikeAlert.state.in_(["pending", "sending"]),
                                  SpikeAlert.next_attempt_at <= now)
                           .order_by(SpikeAlert.id).limit(limit))
    return [(a, s) for a, s in rows]




def top_outlets(session: Session, story_ids: Iterable[int], limit: int = 10
                ) -> list[tuple[str, int]]:
    """Outlets carrying most of ``story_ids``: (name, stories), each story once per outlet."""
    counts: Counter[str] = Counter()
    for outlets in story_sources(session, story_ids).values():
        counts.update({name for name, _ in outlets if name})
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[:limit]


def co_mentions(session: Session, watchlist: str, entity: str, since: datetime,
                limit: int = 10) -> list[tuple[str, str, int]]:
    """Other entities found in the same stories as ``entity``: (watchlist, entity, stories)."""
    other = aliased(Hit)
    rows = session.execute(
        select(other.watchlist, other.entity, func.count(func.distinct(other.story_id)))
        .join(Hit, Hit.story_id == other.story_id).join(Story, Story.id == Hit.story_id)
        .where(Hit.watchlist == watchlist, Hit.entity == entity, _published_since(since),
               or_(other.watchlist != watchlist, other.entity != entity))
        .group_by(other.watchlist, other.entity))
    ranked = sorted(rows, key=lambda r: (-r[2], r[1].casefold(), r[0].casefold()))
    return [(wl, name, n) for wl, name, n in ranked[:limit]]


def outlet_names(session: Session) -> list[str]:
    """Every outlet (feed) name stories were seen in, for the page's outlet filter."""
    return sorted({n for n in session.scalars(select(Feed.name).distinct()) if n},
                  key=str.casefold)


def find_hits(session: Session, watchlist: str | None = None, entity: str | None = None,
              outlet: str | None = None, since: datetime | None = None,
              until: datetime | None = None, limit: int = 500) -> list[HitRow]:
    """Hits by the story's publication date, newest first, filtered as the page asks."""
    query = (select(Hit, Story, Feed.name).join(Story, Hit.story_id == Story.id)
             .outerjoin(Feed, Story.feed_id == Feed.id))
    when = func.coalesce(Story.published_at, Story.first_seen_at)
    if watchlist:
        query = query.where(Hit.watchlist == watchlist)
    if entity:
        query = query.where(Hit.entity == entity)
    if since:
        query = query.where(_published_since(since))
    if until:
        query = query.where(or_(Story.published_at < until,
                                and_(Story.published_at.is_(None), Story.first_seen_at < until)))
    if outlet:
        query = query.where(_carried_by(outlet))
    rows = session.execute(query.order_by(when.desc(), Hit.id.desc()).limit(limit)).all()
    sources = story_sources(session, (s.id for _, s, _ in rows))
    return [HitRow(id=h.id, created_at=h.created_at, watchlist=h.watchlist, entity=h.entity,
                   matched=h.matched, field=h.field, score=h.score, title=s.title, link=s.link,
                   source=feed_name or "", context=h.context, published_at=s.published_at,
                   sources=sources.get(s.id, ()), story_id=s.id, language=s.language)
            for h, s, feed_name in rows]
