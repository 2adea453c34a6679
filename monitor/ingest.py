"""Store a parsed feed: new entries become stories (once), hits, and outbox deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.parser import Entry
from monitor.urls import canonical_url
from notifiers.channels import Recipient
from notifiers.outbox import enqueue
from storage import Feed, Hit, Story, StorySource
from storage.models import utcnow


@dataclass
class IngestReport:
    """Counts from storing one feed's entries."""

    entries: int = 0
    new_stories: int = 0
    new_sources: int = 0
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


def _store(session: Session, feed: Feed, entries: Sequence[Entry], by_url: dict[str, Story],
           matcher, recipients: Sequence[Recipient], now) -> IngestReport:
    """Add stories, hits, deliveries and sources for ``entries`` (all unknown to this feed)."""
    report = IngestReport()
    for entry in entries:
        url = canonical_url(entry.link)
        story = by_url.get(url) if url else None
        if story is None:
            story = Story(canonical_url=url, link=entry.link, title=entry.title[:2000],
                          summary=entry.summary[:10000], published_at=entry.published,
                          first_seen_at=now, feed=feed)
            session.add(story)
            if url:
                by_url[url] = story
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
    session.flush()
    return report


def _add(total: IngestReport, part: IngestReport) -> None:
    for name in ("new_stories", "new_sources", "hits", "deliveries"):
        setattr(total, name, getattr(total, name) + getattr(part, name))


def ingest_entries(session: Session, feed: Feed, entries: Sequence[Entry], matcher,
                   recipients: Sequence[Recipient]) -> IngestReport:
    """Store what is new in ``entries``; a story already known from another feed gains a source.

    Another worker may store the same story (same link, another feed) at the same moment:
    the unique constraints refuse the second copy, and that entry is retried alone in its
    own savepoint, where it finds the winner's story and only adds its source. Entries are
    written in link order so two transactions always lock the same keys in the same order.
    """
    report = IngestReport(entries=len(entries))
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    known = _known_keys(session, feed.id, list(unique))
    fresh = sorted((e for k, e in unique.items() if k not in known),
                   key=lambda e: (canonical_url(e.link) or "", e.key))
    now = utcnow()
    urls = [u for e in fresh if (u := canonical_url(e.link))]
    try:
        with session.begin_nested():
            _add(report, _store(session, feed, fresh, _stories_by_url(session, urls), matcher,
                                recipients, now))
    except IntegrityError:
        for entry in fresh:
            url = canonical_url(entry.link)
            try:
                with session.begin_nested():
                    part = _store(session, feed, [entry],
                                  _stories_by_url(session, [url] if url else []), matcher,
                                  recipients, now)
            except IntegrityError:
                continue  # another worker stored this very entry of this feed first
            _add(report, part)
    added = report.new_stories + report.new_sources
    feed.entries_seen += added
    if report.new_stories:
        feed.last_new_story_at = now
    return report
