"""Store parsed feeds: new entries become stories (once), hits, and outbox deliveries."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from monitor.dedup.canonical import canonical_url
from monitor.dedup.neardup import WINDOW_S, NearDupIndex, normalise, title_key
from monitor.service import metrics
from monitor.sources.entry import Entry
from monitor.text import error_line
from notifiers.channels import Recipient
from notifiers.outbox import enqueue
from storage import Feed, Hit, Story, StorySource
from storage.models import StoryFingerprint, utcnow
from storage.reports import published_or_found

log = logging.getLogger(__name__)

CHUNK = 5000  # bound parameters per IN (...) look-up, well under SQLite's and psycopg's limits


@dataclass
class IngestReport:
    """Counts from storing feeds' entries."""

    entries: int = 0
    new_stories: int = 0
    new_sources: int = 0
    near_duplicates: int = 0
    hits: int = 0
    deliveries: int = 0
    skipped: int = 0  # entries that could not be stored (their feeds' other entries were)
    backlog: int = 0  # stories with hits not alerted: older than the backlog on a first poll
    sources_by_feed: Counter = field(default_factory=Counter)  # feed id -> source rows added
    feeds_with_new: set[int] = field(default_factory=set)  # feeds that brought a new story
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

    def add(self, part: IngestReport) -> None:
        """Fold in the counts of a part stored in the same transaction."""
        for name in ("new_stories", "new_sources", "near_duplicates", "hits", "deliveries",
                     "skipped", "backlog"):
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.sources_by_feed.update(part.sources_by_feed)
        self.feeds_with_new |= part.feeds_with_new
        self.fingerprints += part.fingerprints
        self.matches += part.matches


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _known_keys(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (feed id, entry key) pairs already stored as sources."""
    feed_ids = sorted({f for f, _ in pairs})
    known = set()
    for keys in _chunks(sorted({k for _, k in pairs})):
        rows = session.execute(select(StorySource.feed_id, StorySource.entry_key).where(
            StorySource.feed_id.in_(feed_ids), StorySource.entry_key.in_(keys)))
        known.update(row for row in map(tuple, rows) if row in pairs)
    return known


def _stories_by_url(session: Session, urls: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(urls):
        rows = session.execute(select(Story.canonical_url, Story.id)
                               .where(Story.canonical_url.in_(chunk)))
        found.update((url, sid) for url, sid in rows)
    return found


def _unstorable(exc: Exception) -> bool:
    """An error caused by an entry's own values, which no retry fixes (not a database outage)."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        return False
    if isinstance(exc, StatementError):
        exc = exc.orig
    return isinstance(exc, ValueError | OverflowError)  # UnicodeEncodeError is a ValueError


@dataclass
class _NewStory:
    feed: Feed
    entry: Entry
    url: str | None
    matches: list
    id: int | None = None


def ingest_entries(session: Session, feed: Feed, entries: Sequence[Entry], matcher,
                   recipients: Sequence[Recipient], neardup: NearDupIndex | None = None,
                   backlog_s: float | None = None) -> IngestReport:
    """Store what is new in one feed's ``entries`` (see ``ingest_feeds``)."""
    return ingest_feeds(session, [(feed, entries)], matcher, recipients, neardup, backlog_s)


def ingest_feeds(session: Session, feeds: Sequence[tuple[Feed, Sequence[Entry]]], matcher,
                 recipients: Sequence[Recipient], neardup: NearDupIndex | None = None,
                 backlog_s: float | None = None) -> IngestReport:
    """Store what is new in several feeds' entries; a story already known gains a source (a
    feed that re-issues a story's link under a new GUID adds none).

    ``backlog_s``: on a feed's first poll (it has stored no entry yet), stories published
    more than this long ago are stored with their hits but not alerted. An entry whose values
    cannot be stored is skipped and counted; its feed's other entries are stored.

    Known means: same canonical link, or (with ``neardup``) a recent story with nearly the
    same title and summary. Rows are written with a few multi-row INSERTs for all the feeds.
    Another worker may store the same story at the same moment: the unique constraints refuse
    the second copy, and each entry is then retried alone in its own savepoint, where it finds
    the winner's story. Entries go in link order, so two transactions lock keys in the same
    order.
    """
    report = IngestReport(entries=sum(len(entries) for _, entries in feeds))
    unique: dict[tuple[int, str], tuple[Feed, Entry]] = {}
    for feed, entries in feeds:
        for entry in entries:
            unique.setdefault((feed.id, entry.key), (feed, entry))
    known = _known_keys(session, set(unique)) if unique else set()
    fresh = sorted((fe for pair, fe in unique.items() if pair not in known),
                   key=lambda fe: (fe[1].canonical or canonical_url(fe[1].link) or "",
                                   fe[1].key, fe[0].id))
    if not fresh:
        return report
    now = utcnow()
    quiet = _Backlog({f.id for f, _ in feeds if not f.entries_seen}, backlog_s, now)
    try:
        with session.begin_nested():
            report.add(_store(session, fresh, matcher, recipients, neardup, now, quiet))
    except Exception as exc:
        if not isinstance(exc, IntegrityError) and not _unstorable(exc):
            raise
        for one in fresh:
            try:
                with session.begin_nested():
                    part = _store(session, [one], matcher, recipients, neardup, now, quiet)
            except IntegrityError:
                continue  # another worker stored this very entry of this feed first
            except Exception as exc:
                if not _unstorable(exc):
                    raise
                _skip(report, *one, exc)
                continue
            report.add(part)
    for feed in {feed.id: feed for feed, _ in feeds}.values():
        feed.entries_seen += report.sources_by_feed[feed.id]
        if feed.id in report.feeds_with_new:
            feed.last_new_story_at = now
    return report


def _skip(report: IngestReport, feed: Feed, entry: Entry, exc: Exception) -> None:
    report.skipped += 1
    log.warning("feed %s: entry %.200r skipped, it cannot be stored (%s)", feed.url,
                entry.key, error_line(exc))


@dataclass(frozen=True)
class _Backlog:
    """Which new stories are a first poll's old entries: stored and matched, not alerted."""

    first_poll: set[int]  # ids of feeds that have stored no entry yet
    backlog_s: float | None
    now: datetime

    def quiet(self, story: _NewStory) -> bool:
        return (self.backlog_s is not None and story.feed.id in self.first_poll
                and published_or_found(story.entry.published, self.now)
                < self.now - timedelta(seconds=self.backlog_s))


def _store(session: Session, fresh: Sequence[tuple[Feed, Entry]], matcher,
           recipients: Sequence[Recipient], neardup: NearDupIndex | None,
           now: datetime, backlog: _Backlog) -> IngestReport:
    """Stories, sources, hits, deliveries and fingerprints for entries unknown to their feed."""
    report = IngestReport()
    urls = [e.canonical or canonical_url(e.link) for _, e in fresh]
    by_url = _stories_by_url(session, sorted({u for u in urls if u}))
    new: list[_NewStory] = []
    pending: dict[str, _NewStory] = {}
    staged = NearDupIndex()  # this transaction's new stories: new[-id - 1]
    load = partial(_story_texts, session)
    sources: list[tuple[Feed, Entry, int | _NewStory]] = []
    by_link: list[bool] = []  # each source: its story was found by the entry's link
    for (feed, entry), url in zip(fresh, urls, strict=True):
        target: int | _NewStory | None = None
        if url:
            target = by_url.get(url) or pending.get(url)
        by_link.append(target is not None)
        if target is None and neardup is not None:
            found = neardup.find(entry.dedup_text, entry.title, entry.dedup_keys, staged, load)
            if found is not None:
                target = found if found > 0 else new[-found - 1]
                report.near_duplicates += 1
        if target is None:
            matches = entry.matches
            if matches is None:
                matches = matcher.match(entry.title, entry.summary, entry.content)
            target = _NewStory(feed, entry, url, list(matches))
            if url:
                pending[url] = target
            if neardup is not None and entry.dedup_keys:
                staged.add(-len(new) - 1, entry.dedup_keys, entry.dedup_text, entry.title)
            new.append(target)
            report.feeds_with_new.add(feed.id)
        sources.append((feed, entry, target))
    sources = _new_sources(session, sources, by_link)
    for feed, entry, target in sources:
        report.new_sources += isinstance(target, int) or entry is not target.entry
        report.sources_by_feed[feed.id] += 1
    _insert_stories(session, new, now)
    session.execute(insert(StorySource.__table__), [
        {"story_id": t if isinstance(t, int) else t.id, "feed_id": f.id,
         "entry_key": e.key, "link": e.link or e.site, "seen_at": now} for f, e, t in sources])
    _insert_hits(session, new, recipients, report, now, backlog)
    session.flush()
    report.fingerprints = _remember(session, new, now)
    report.new_stories = len(new)
    return report


def _new_sources(session: Session, sources: list[tuple[Feed, Entry, int | _NewStory]],
                 by_link: list[bool]) -> list[tuple[Feed, Entry, int | _NewStory]]:
    """The sources to record: an entry that found its story by link, from a feed that is
    already a source of it, adds no row (a feed re-issuing its stories under new GUIDs would
    add rows every poll; the link finds the story again). An entry joined to a story as a near-
    duplicate keeps its row: its key is what stops it becoming a new story later."""
    known_ids = sorted({t for (_, _, t), link in zip(sources, by_link, strict=True)
                        if link and isinstance(t, int)})
    seen: set[tuple[int, int]] = set()
    for ids in _chunks(known_ids):
        seen.update(map(tuple, session.execute(
            select(StorySource.story_id, StorySource.feed_id).where(
                StorySource.story_id.in_(ids)))))
    kept = []
    for source, link in zip(sources, by_link, strict=True):
        feed, _, target = source
        pair = (target if isinstance(target, int) else -id(target), feed.id)
        if not (link and pair in seen):
            seen.add(pair)
            kept.append(source)
    return kept


def _insert_stories(session: Session, new: list[_NewStory], now: datetime) -> None:
    """One multi-row INSERT; every new story learns its id."""
    if not new:
        return
    rows = [{"canonical_url": n.url, "link": n.entry.link or n.entry.site,
             "title": n.entry.title[:2000], "summary": n.entry.summary[:10000],
             "published_at": published_or_found(n.entry.published, now),
             "first_seen_at": now, "feed_id": n.feed.id} for n in new]
    table = Story.__table__
    if session.get_bind().dialect.name == "sqlite":
        # SQLite cannot pair RETURNING rows with parameter sets, so SQLAlchemy would insert
        # row by row. Every SQLite transaction here holds the write lock (BEGIN IMMEDIATE),
        # so numbering from max(id) + 1 is exactly what SQLite itself would do, in one go.
        start = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        for offset, (n, row) in enumerate(zip(new, rows, strict=True), start=1):
            n.id = row["id"] = start + offset
        session.execute(insert(table), rows)
        return
    ids = session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    for n, sid in zip(new, ids, strict=True):
        n.id = sid


def _insert_hits(session: Session, new: list[_NewStory], recipients: Sequence[Recipient],
                 report: IngestReport, now: datetime, backlog: _Backlog) -> None:
    """Hits and their outbox deliveries (none for a first poll's backlog), in the story's
    transaction."""
    rows = [{"story_id": n.id, "watchlist": m.watchlist, "entity": m.entity, "alias": m.alias,
             "matched": m.matched, "field": m.field, "score": m.score, "rule": m.rule,
             "context": m.context, "created_at": now} for n in new for m in n.matches]
    if not rows:
        return
    session.execute(insert(Hit.__table__), rows)
    report.matches = [m for n in new for m in n.matches]
    report.hits += len(rows)
    for n in new:
        if not n.matches:
            continue
        if backlog.quiet(n):
            report.backlog += 1
        elif recipients:
            report.deliveries += enqueue(session, n.id, n.matches, recipients)


def _remember(session: Session, new: list[_NewStory], now: datetime) -> list[tuple]:
    """Store fingerprints of new stories; return them for the index once the commit succeeds."""
    fresh = [n for n in new if n.entry.dedup_keys]
    if fresh:
        session.execute(insert(StoryFingerprint.__table__), [
            {"story_id": n.id, "keys": " ".join(map(str, n.entry.dedup_keys)), "created_at": now}
            for n in fresh])
    return [(n.id, n.entry.dedup_keys, n.entry.dedup_text, n.entry.title) for n in fresh]


def recent_index(db, now: datetime, window_s: float = WINDOW_S) -> NearDupIndex:
    """The index of stories first seen within the window (keys only: their texts are loaded
    when a candidate needs confirming); older fingerprints are pruned."""
    since = now - timedelta(seconds=window_s)
    with db.session() as s:
        s.execute(delete(StoryFingerprint).where(StoryFingerprint.created_at < since))
        rows = s.execute(select(StoryFingerprint.story_id, StoryFingerprint.keys)
                         .where(StoryFingerprint.created_at >= since)).all()
    index = NearDupIndex()
    for story_id, keys in rows:
        index.add(story_id, (int(k) for k in keys.split()))
    return index


def _story_texts(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Near-duplicate texts of stored stories, read in the storing transaction (on SQLite a
    second connection would wait for the write lock this transaction holds)."""
    found = session.execute(select(Story.id, Story.title, Story.summary)
                            .where(Story.id.in_(list(ids)))).all()
    return {sid: (normalise(title, summary), title_key(title)) for sid, title, summary in found}
