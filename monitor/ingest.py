"""Store a parsed feed: new entries become stories (once), hits, and outbox deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.neardup import NearDupIndex
from monitor.parser import Entry
from monitor.urls import canonical_url
from notifiers.channels import Recipient
from notifiers.outbox import enqueue
from storage import Feed, Hit, Story, StorySource
from storage.models import StoryFingerprint, utcnow

FUTURE_SLACK = timedelta(days=1)


@dataclass
class IngestReport:
    """Counts from storing one feed's entries."""

    entries: int = 0
    new_stories: int = 0
    new_sources: int = 0
    near_duplicates: int = 0
    hits: int = 0
    deliveries: int = 0


def _known_keys(session: Session, feed_id: int, keys: list[str]) -> set[str]:
    rows = session.scalars(select(StorySource.entry_key).where(
        StorySource.feed_id == feed_id, StorySource.entry_key.in_(keys)))
    return set(rows)


def _stories_by_url(session: Session, urls: list[str]) -> dict[str, Story]:
    if not urls:
        return {}
    rows = session.scalars(select(Story).where(Story.canonical_url.in_(urls)))
    return {s.canonical_url: s for s in rows if s.canonical_url}


def _hit_rows(story: Story, matches) -> list[Hit]:
    return [Hit(story=story, watchlist=m.watchlist, entity=m.entity, alias=m.alias,
                matched=m.matched, field=m.field, score=m.score, rule=m.rule, context=m.context)
            for m in matches]


def published_or_seen(published: datetime | None, now: datetime) -> datetime:
    """A feed's date if it is plausible; else (missing, or days in the future) first-seen time."""
    if published is None or published > now + FUTURE_SLACK:
        return now
    return published


def ingest_entries(session: Session, feed: Feed, entries: Sequence[Entry], matcher,
                   recipients: Sequence[Recipient],
                   neardup: NearDupIndex | None = None) -> IngestReport:
    """Store what is new in ``entries``; a story already known from another feed gains a source.

    Known means: same canonical link, or (with ``neardup``) a recent story with nearly the
    same title and summary.
    """
    report = IngestReport(entries=len(entries))
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    known = _known_keys(session, feed.id, list(unique))
    fresh = [e for k, e in unique.items() if k not in known]
    urls = {e.key: canonical_url(e.link) for e in fresh}
    by_url = _stories_by_url(session, [u for u in urls.values() if u])
    now = utcnow()
    created: list[tuple[Story, Entry]] = []
    for entry in fresh:
        url = urls[entry.key]
        story = by_url.get(url) if url else None
        if story is None and neardup is not None:
            story = _near_duplicate(session, neardup, entry)
            report.near_duplicates += story is not None
        if story is None:
            story = Story(canonical_url=url, link=entry.link, title=entry.title[:2000],
                          summary=entry.summary[:10000],
                          published_at=published_or_seen(entry.published, now),
                          first_seen_at=now, feed=feed)
            session.add(story)
            if url:
                by_url[url] = story
            created.append((story, entry))
            report.new_stories += 1
            matches = matcher.match(entry.title, entry.summary, entry.content)
            hits = _hit_rows(story, matches)
            session.add_all(hits)
            report.hits += len(hits)
            if hits:
                report.deliveries += enqueue(session, story, {h.watchlist for h in hits},
                                             recipients)
        else:
            report.new_sources += 1
        session.add(StorySource(story=story, feed=feed, entry_key=entry.key, link=entry.link,
                                seen_at=now))
    _remember(session, neardup, created, now)
    feed.entries_seen += len(fresh)
    if report.new_stories:
        feed.last_new_story_at = now
    return report


def _near_duplicate(session: Session, neardup: NearDupIndex, entry: Entry) -> Story | None:
    sid = neardup.find(entry.dedup_text, entry.title, entry.dedup_keys)
    return session.get(Story, sid) if sid is not None else None


def _remember(session: Session, neardup: NearDupIndex | None,
              created: list[tuple[Story, Entry]], now: datetime) -> None:
    """Fingerprint new stories so later copies (this cycle or the next days) find them."""
    with_keys = [(s, e) for s, e in created if e.dedup_keys]
    if not with_keys:
        return
    session.flush()
    for story, entry in with_keys:
        session.add(StoryFingerprint(story_id=story.id,
                                     keys=" ".join(map(str, entry.dedup_keys)), created_at=now))
        if neardup is not None:
            neardup.add(story.id, entry.dedup_keys, entry.dedup_text, entry.title)
