"""Store a parsed feed: new entries become stories (once), hits, and outbox deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor import metrics
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
    # Applied by the caller only once the transaction has committed (rolled-back rows must
    # never reach the in-memory near-duplicate index or the metrics).
    fingerprints: list[tuple] = field(default_factory=list)
    matches: list = field(default_factory=list)

    def committed(self, neardup: NearDupIndex | None) -> None:
        """Publish what this report stored: fingerprints to the index, hits to the metrics."""
        if neardup is not None:
            for fingerprint in self.fingerprints:
                neardup.add(*fingerprint)
        metrics.observe_hits(self.matches)


def _known_keys(session: Session, feed_id: int, keys: list[str]) -> set[str]:
    rows = session.scalars(select(StorySource.entry_key).where(
        StorySource.feed_id == feed_id, StorySource.entry_key.in_(keys)))
    return set(rows)


def _stories_by_url(session: Session, urls: list[str]) -> dict[str, int]:
    if not urls:
        return {}
    rows = session.execute(select(Story.canonical_url, Story.id)
                           .where(Story.canonical_url.in_(urls)))
    return {url: sid for url, sid in rows}


def published_or_seen(published: datetime | None, now: datetime) -> datetime:
    """A feed's date if it is plausible; else (missing, or days in the future) first-seen time."""
    if published is None or published > now + FUTURE_SLACK:
        return now
    return published


@dataclass
class _NewStory:
    entry: Entry
    url: str | None
    matches: list
    id: int | None = None


def ingest_entries(session: Session, feed: Feed, entries: Sequence[Entry], matcher,
                   recipients: Sequence[Recipient],
                   neardup: NearDupIndex | None = None) -> IngestReport:
    """Store what is new in ``entries``; a story already known from another feed gains a source.

    Known means: same canonical link, or (with ``neardup``) a recent story with nearly the
    same title and summary. Rows are written with a few multi-row INSERTs per feed. Another
    worker may store the same story at the same moment: the unique constraints refuse the
    second copy, and each entry is then retried alone in its own savepoint, where it finds the
    winner's story. Entries go in link order, so two transactions lock keys in the same order.
    """
    report = IngestReport(entries=len(entries))
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    known = _known_keys(session, feed.id, list(unique))
    fresh = sorted((e for k, e in unique.items() if k not in known),
                   key=lambda e: (e.canonical or canonical_url(e.link) or "", e.key))
    if not fresh:
        return report
    now = utcnow()
    try:
        with session.begin_nested():
            _add(report, _store(session, feed, fresh, matcher, recipients, neardup, now))
    except IntegrityError:
        for entry in fresh:
            try:
                with session.begin_nested():
                    part = _store(session, feed, [entry], matcher, recipients, neardup, now)
            except IntegrityError:
                continue  # another worker stored this very entry of this feed first
            _add(report, part)
    feed.entries_seen += report.new_stories + report.new_sources
    if report.new_stories:
        feed.last_new_story_at = now
    return report


def _add(total: IngestReport, part: IngestReport) -> None:
    for name in ("new_stories", "new_sources", "near_duplicates", "hits", "deliveries"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.fingerprints += part.fingerprints
    total.matches += part.matches


def _store(session: Session, feed: Feed, fresh: Sequence[Entry], matcher,
           recipients: Sequence[Recipient], neardup: NearDupIndex | None,
           now: datetime) -> IngestReport:
    """Stories, sources, hits, deliveries and fingerprints for entries unknown to this feed."""
    report = IngestReport()
    urls = {e.key: e.canonical or canonical_url(e.link) for e in fresh}
    by_url = _stories_by_url(session, [u for u in urls.values() if u])
    new: list[_NewStory] = []
    pending: dict[str, _NewStory] = {}
    sources: list[tuple[Entry, int | _NewStory]] = []
    for entry in fresh:
        url = urls[entry.key]
        target: int | _NewStory | None = None
        if url:
            target = by_url.get(url) or pending.get(url)
        if target is None and neardup is not None:
            target = neardup.find(entry.dedup_text, entry.title, entry.dedup_keys)
            report.near_duplicates += target is not None
        if target is None:
            matches = entry.matches
            if matches is None:
                matches = matcher.match(entry.title, entry.summary, entry.content)
            target = _NewStory(entry, url, list(matches))
            new.append(target)
            if url:
                pending[url] = target
        else:
            report.new_sources += 1
        sources.append((entry, target))
    _insert_stories(session, feed, new, now)
    session.execute(insert(StorySource.__table__), [
        {"story_id": t if isinstance(t, int) else t.id, "feed_id": feed.id,
         "entry_key": e.key, "link": e.link, "seen_at": now} for e, t in sources])
    _insert_hits(session, new, recipients, report, now)
    session.flush()
    report.fingerprints = _remember(session, new, now)
    report.new_stories = len(new)
    return report


def _insert_stories(session: Session, feed: Feed, new: list[_NewStory], now: datetime) -> None:
    if not new:
        return
    rows = [{"canonical_url": n.url, "link": n.entry.link, "title": n.entry.title[:2000],
             "summary": n.entry.summary[:10000],
             "published_at": published_or_seen(n.entry.published, now),
             "first_seen_at": now, "feed_id": feed.id} for n in new]
    table = Story.__table__
    ids = session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    for n, sid in zip(new, ids, strict=True):
        n.id = sid


def _insert_hits(session: Session, new: list[_NewStory], recipients: Sequence[Recipient],
                 report: IngestReport, now: datetime) -> None:
    """Hits and their outbox deliveries, in the story's transaction."""
    rows = [{"story_id": n.id, "watchlist": m.watchlist, "entity": m.entity, "alias": m.alias,
             "matched": m.matched, "field": m.field, "score": m.score, "rule": m.rule,
             "context": m.context, "created_at": now} for n in new for m in n.matches]
    if not rows:
        return
    session.execute(insert(Hit.__table__), rows)
    report.matches = [m for n in new for m in n.matches]
    report.hits += len(rows)
    if not recipients:
        return
    for n in new:
        if n.matches:
            report.deliveries += enqueue(session, n.id, n.matches, recipients)


def _remember(session: Session, new: list[_NewStory], now: datetime) -> list[tuple]:
    """Store fingerprints of new stories; return them for the index once the commit succeeds."""
    fresh = [n for n in new if n.entry.dedup_keys]
    if fresh:
        session.execute(insert(StoryFingerprint.__table__), [
            {"story_id": n.id, "keys": " ".join(map(str, n.entry.dedup_keys)), "created_at": now}
            for n in fresh])
    return [(n.id, n.entry.dedup_keys, n.entry.dedup_text, n.entry.title) for n in fresh]
