"""Store prepared entries: new ones become stories (once), sources, hits and outbox deliveries.

The entries arrive prepared (monitor.pipeline.prepare) and the story each belongs to is the
dedup stage's answer (monitor.dedup.resolve); this module only writes, through
storage.stories. What it stored is reported, for the caller to publish once committed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.dedup.neardup import Fingerprint, NearDupIndex
from monitor.dedup.resolve import NewStory, resolve
from monitor.matching import Match
from monitor.pipeline.prepare import Prepared
from monitor.query.routing import story_admits
from monitor.sources.entry import Entry
from monitor.text import error_line
from notifiers.channels import Recipient
from notifiers.outbox import enqueue
from storage import Feed
from storage.models import utcnow
from storage.pages import add_pages
from storage.records import insert_records, record_row
from storage.reports import published_or_found
from storage.stories import (
    IntegrityError,
    Session,
    hit_row,
    insert_fingerprints,
    insert_hits,
    insert_sources,
    insert_stories,
    known_entry_keys,
    relink_stories,
    unstorable,
)

log = logging.getLogger(__name__)


@dataclass
class StoreReport:
    """Counts from storing feeds' entries, and what to publish once the transaction commits
    (rolled-back rows must never reach the near-duplicate index or the metrics)."""

    entries: int = 0
    new_stories: int = 0
    new_sources: int = 0
    near_duplicates: int = 0
    hits: int = 0
    deliveries: int = 0
    skipped: int = 0  # entries that could not be stored (their feeds' other entries were)
    backlog: int = 0  # stories with hits not alerted: older than the backlog on a first poll
    pages: int = 0  # new stories whose article page is to be fetched (monitor.pages)
    sources_by_feed: Counter = field(default_factory=Counter)  # feed id -> source rows added
    fresh_by_feed: Counter = field(default_factory=Counter)  # feed id -> entries new to it
    feeds_with_new: set[int] = field(default_factory=set)  # feeds that brought a new story
    fingerprints: list[Fingerprint] = field(default_factory=list)  # for the near-dup index
    matches: list[Match] = field(default_factory=list)  # for the metrics

    def add(self, part: StoreReport) -> None:
        """Fold in the counts of a part stored in the same transaction."""
        for name in ("new_stories", "new_sources", "near_duplicates", "hits", "deliveries",
                     "skipped", "backlog", "pages"):
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.sources_by_feed.update(part.sources_by_feed)
        self.feeds_with_new |= part.feeds_with_new
        self.fingerprints += part.fingerprints
        self.matches += part.matches


PageRule = Callable[[Feed, Entry], bool]  # does a new story from this feed get its page?


def store_entries(session: Session, feed: Feed, entries: Sequence[Prepared],
                  recipients: Sequence[Recipient], neardup: NearDupIndex | None = None,
                  backlog_s: float | None = None, pages: PageRule | None = None) -> StoreReport:
    """Store what is new in one feed's ``entries`` (see ``store_feeds``)."""
    return store_feeds(session, [(feed, entries)], recipients, neardup, backlog_s, pages)


def store_feeds(session: Session, feeds: Sequence[tuple[Feed, Sequence[Prepared]]],
                recipients: Sequence[Recipient], neardup: NearDupIndex | None = None,
                backlog_s: float | None = None, pages: PageRule | None = None) -> StoreReport:
    """Store what is new in several feeds' entries; a story already known gains a source (a
    feed that re-issues a story's link under a new GUID adds none). ``pages`` says which new
    stories (a first poll's backlog apart) get their article page fetched later.

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
    report = StoreReport(entries=sum(len(entries) for _, entries in feeds))
    unique: dict[tuple[int, str], tuple[Feed, Prepared]] = {}
    for feed, entries in feeds:
        for item in entries:
            unique.setdefault((feed.id, item.entry.key), (feed, item))
    known = known_entry_keys(session, set(unique)) if unique else set()
    fresh = sorted((fp for pair, fp in unique.items() if pair not in known),
                   key=lambda fp: (fp[1].canonical or "", fp[1].entry.key, fp[0].id))
    report.fresh_by_feed.update(feed.id for feed, _ in fresh)
    if not fresh:
        return report
    now = utcnow()
    quiet = _Backlog({f.id for f, _ in feeds if not f.entries_seen}, backlog_s, now, pages)
    try:
        with session.begin_nested():
            report.add(_store(session, fresh, recipients, neardup, now, quiet))
    except Exception as exc:
        if not isinstance(exc, IntegrityError) and not unstorable(exc):
            raise
        for one in fresh:
            try:
                with session.begin_nested():
                    part = _store(session, [one], recipients, neardup, now, quiet)
            except IntegrityError:
                continue  # another worker stored this very entry of this feed first
            except Exception as exc:
                if not unstorable(exc):
                    raise
                _skip(report, *one, exc)
                continue
            report.add(part)
    for feed in {feed.id: feed for feed, _ in feeds}.values():
        feed.entries_seen += report.sources_by_feed[feed.id]
        if feed.id in report.feeds_with_new:
            feed.last_new_story_at = now
    return report


def _skip(report: StoreReport, feed: Feed, item: Prepared, exc: Exception) -> None:
    report.skipped += 1
    log.warning("feed %s: entry %.200r skipped, it cannot be stored (%s)", feed.url,
                item.entry.key, error_line(exc))


@dataclass(frozen=True)
class _Backlog:
    """Which new stories are a first poll's old entries: stored and matched, not alerted."""

    first_poll: set[int]  # ids of feeds that have stored no entry yet
    backlog_s: float | None
    now: datetime
    pages: PageRule | None = None

    def quiet(self, story: NewStory[Prepared]) -> bool:
        """Is ``story`` one of a first poll's old entries?"""
        return (self.backlog_s is not None and story.feed.id in self.first_poll
                and published_or_found(story.item.entry.published, self.now)
                < self.now - timedelta(seconds=self.backlog_s))


def _store(session: Session, fresh: Sequence[tuple[Feed, Prepared]],
           recipients: Sequence[Recipient], neardup: NearDupIndex | None,
           now: datetime, backlog: _Backlog) -> StoreReport:
    """Stories, sources, hits, deliveries and fingerprints for entries unknown to their feed."""
    found = resolve(session, fresh, neardup)
    report = StoreReport(near_duplicates=found.near_duplicates + found.same_outlet,
                         feeds_with_new={n.feed.id for n in found.new})
    for feed, item, target in found.sources:
        report.new_sources += isinstance(target, int) or item is not target.item
        report.sources_by_feed[feed.id] += 1
    _insert_stories(session, found.new, now)
    insert_sources(session, [
        {"story_id": t if isinstance(t, int) else t.stored_id, "feed_id": f.id,
         "entry_key": p.entry.key, "link": p.entry.link or p.entry.site, "seen_at": now,
         "outlet": p.entry.outlet}
        for f, p, t in found.sources])
    relink_stories(session, [
        {"story_id": t if isinstance(t, int) else t.stored_id, "canonical_url": p.canonical,
         "link": p.entry.link} for t, p in found.relinks])
    _insert_hits(session, found.new, recipients, report, now, backlog)
    if backlog.pages is not None:
        wanted = [(n.stored_id, n.item.entry.link) for n in found.new
                  if n.item.entry.link and not backlog.quiet(n)
                  and backlog.pages(n.feed, n.item.entry)]  # quiet first: it is cheaper
        add_pages(session, wanted, now)
        report.pages = len(wanted)
    session.flush()
    fresh_keys = [n for n in found.new if n.item.keys]
    insert_fingerprints(session, ((n.stored_id, n.item.keys) for n in fresh_keys), now)
    report.fingerprints = [Fingerprint(n.stored_id, n.item.keys, n.item.text, n.item.entry.title)
                           for n in fresh_keys]
    report.new_stories = len(found.new)
    return report


def _insert_stories(session: Session, new: list[NewStory[Prepared]], now: datetime) -> None:
    """One multi-row INSERT; every new story learns its id; a record's facts go with it."""
    ids = insert_stories(session, [
        {"canonical_url": n.item.canonical, "link": n.item.entry.link or n.item.entry.site,
         "title": n.item.entry.title[:2000], "summary": n.item.entry.summary[:10000],
         "published_at": published_or_found(n.item.entry.published, now),
         "first_seen_at": now, "feed_id": n.feed.id, "language": n.item.language,
         "outlet": n.item.entry.outlet,
         "outlet_host": (n.item.outlet_host or "")[:255] or None}
        for n in new])
    for n, sid in zip(new, ids, strict=True):
        n.id = sid
    insert_records(session, [record_row(n.stored_id, n.item.entry.record)
                             for n in new if n.item.entry.record is not None])


def _insert_hits(session: Session, new: list[NewStory[Prepared]], recipients: Sequence[Recipient],
                 report: StoreReport, now: datetime, backlog: _Backlog) -> None:
    """Hits and their outbox deliveries (none for a first poll's backlog), in the story's
    transaction."""
    rows = [hit_row(n.stored_id, m, now) for n in new for m in n.item.matches]
    if not rows:
        return
    insert_hits(session, rows)
    report.matches = [m for n in new for m in n.item.matches]
    report.hits += len(rows)
    for n in new:
        if not n.item.matches:
            continue
        if backlog.quiet(n):
            report.backlog += 1
        elif recipients:
            e = n.item.entry
            report.deliveries += enqueue(
                session, n.stored_id, n.item.matches, recipients,
                story_admits(e.title, e.summary, e.content, n.item.matches,
                             n.item.language))
