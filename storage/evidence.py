"""Evidence SQL: pages as fetched (versions), the recheck schedule, the Wayback queue and the
change-alert ledger. monitor.evidence decides; this module only reads and writes."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import ChangeAlert, Delivery, Hit, PageVersion, Story, StoryCheck

Target = tuple[str, str]  # (subscriber, channel id)


@dataclass(frozen=True)
class Capture:
    """A page as fetched and read: what a new version stores. ``body`` is the raw bytes."""

    url: str
    final_url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    sha256: str
    fetched_at: datetime
    title: str = ""
    text: str = ""
    kind: str = "page"  # page, gone (404/410) or redirect (now elsewhere)
    change: str = ""    # JSON: what changed since the version before


def raw_body(version: PageVersion) -> bytes:
    """The bytes as fetched (stored compressed)."""
    return zlib.decompress(version.body)


def header_pairs(version: PageVersion) -> list[tuple[str, str]]:
    """The response headers as fetched, in order."""
    return [(str(k), str(v)) for k, v in json.loads(version.headers or "[]")]


def uncaptured(session: Session, since: datetime, limit: int) -> list[tuple[int, str, datetime]]:
    """(story id, link, found at) of stories with a hit since ``since`` and no evidence row yet;
    found at is the story's first hit."""
    found = func.min(Hit.created_at)
    rows = session.execute(
        select(Story.id, Story.link, found).join(Hit, Hit.story_id == Story.id)
        .outerjoin(StoryCheck, StoryCheck.story_id == Story.id)
        .where(StoryCheck.story_id.is_(None), Story.link.is_not(None), Hit.created_at >= since)
        .group_by(Story.id, Story.link).order_by(found).limit(limit))
    return [(sid, link, at) for sid, link, at in rows if link]


def first_hits(session: Session, story_ids: Iterable[int]) -> dict[int, tuple[str, datetime]]:
    """(link, first hit time) of those stories that have a hit, a link and no evidence row."""
    found = func.min(Hit.created_at)
    rows = session.execute(
        select(Story.id, Story.link, found).join(Hit, Hit.story_id == Story.id)
        .outerjoin(StoryCheck, StoryCheck.story_id == Story.id)
        .where(Story.id.in_(sorted(set(story_ids))), StoryCheck.story_id.is_(None),
               Story.link.is_not(None))
        .group_by(Story.id, Story.link))
    return {sid: (link, at) for sid, link, at in rows if link}


def start_check(session: Session, story_id: int, url: str, found_at: datetime,
                next_check_at: datetime | None, wayback_at: datetime | None) -> None:
    """The story's evidence row: its schedule and, when ``wayback_at``, a queued capture."""
    session.add(StoryCheck(story_id=story_id, url=url, found_at=found_at, checks_done=0,
                           next_check_at=next_check_at, wayback_attempts=0,
                           wayback_state="queued" if wayback_at else None,
                           wayback_next_at=wayback_at))


def check_of(session: Session, story_id: int) -> StoryCheck | None:
    return session.get(StoryCheck, story_id)


def claim_checks(session: Session, now: datetime, limit: int,
                 lease: timedelta) -> list[tuple[int, str, datetime, int]]:
    """Take the rechecks that are due, soonest first, as (story id, url, found at, rechecks
    done): their next time moves ``lease`` ahead, so another worker does not take them too and
    one that dies mid-way leaves them due again."""
    ids = list(session.scalars(select(StoryCheck.story_id).where(StoryCheck.next_check_at <= now)
                               .order_by(StoryCheck.next_check_at).limit(limit)))
    if not ids:
        return []
    held = now + lease
    session.execute(update(StoryCheck).where(StoryCheck.story_id.in_(ids),
                                             StoryCheck.next_check_at <= now)
                    .values(next_check_at=held).execution_options(synchronize_session=False))
    rows = session.execute(select(StoryCheck.story_id, StoryCheck.url, StoryCheck.found_at,
                                  StoryCheck.checks_done, StoryCheck.next_check_at)
                           .where(StoryCheck.story_id.in_(ids)))
    return [(sid, url, found, done) for sid, url, found, done, at in rows if at == held]


def set_schedule(session: Session, story_id: int, checks_done: int,
                 next_check_at: datetime | None) -> None:
    row = session.get(StoryCheck, story_id)
    if row is not None:
        row.checks_done, row.next_check_at = checks_done, next_check_at


def add_version(session: Session, story_id: int, page: Capture) -> PageVersion:
    """Store ``page`` as the story's next version (1 for the first)."""
    last = session.scalar(select(func.max(PageVersion.version))
                          .where(PageVersion.story_id == story_id)) or 0
    row = PageVersion(story_id=story_id, version=last + 1, kind=page.kind,
                      fetched_at=page.fetched_at, url=page.url, final_url=page.final_url,
                      status=page.status, headers=json.dumps(page.headers),
                      body=zlib.compress(page.body, 6), size=len(page.body), sha256=page.sha256,
                      title=page.title, text=page.text, change=page.change)
    session.add(row)
    session.flush()
    return row


def versions(session: Session, story_id: int) -> list[PageVersion]:
    """Every stored version of the story, oldest first."""
    return list(session.scalars(select(PageVersion).where(PageVersion.story_id == story_id)
                                .order_by(PageVersion.version)))



@dataclass(frozen=True)
class VersionInfo:
    """What listings show of a version: number, kind, fetch time, hash, what changed."""

    version: int
    kind: str
    fetched_at: datetime
    sha256: str
    title: str
    change: str

    @property
    def what(self) -> dict | None:
        """The change this version made (kind, old and new headline, diff), or None."""
        return json.loads(self.change) if self.change else None

    def as_dict(self) -> dict:
        return {"version": self.version, "kind": self.kind,
                "fetched_at": self.fetched_at.isoformat(), "sha256": self.sha256,
                "title": self.title, "change": self.what}


def version_infos(session: Session, story_ids: Iterable[int]) -> dict[int, list[VersionInfo]]:
    """Each story's versions (without bodies), oldest first, for ``monitor hits`` and the API."""
    ids = sorted(set(story_ids))
    found: dict[int, list[VersionInfo]] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(PageVersion.story_id, PageVersion.version, PageVersion.kind,
                   PageVersion.fetched_at, PageVersion.sha256, PageVersion.title,
                   PageVersion.change)
            .where(PageVersion.story_id.in_(ids[start:start + 500]))
            .order_by(PageVersion.story_id, PageVersion.version))
        for sid, version, kind, fetched_at, sha256, title, change in rows:
            found.setdefault(sid, []).append(
                VersionInfo(version, kind, fetched_at, sha256, title, change))
    return found


def archive_urls(session: Session, story_ids: Iterable[int]) -> dict[int, str]:
    """Wayback archive URL by story, where known."""
    rows = session.execute(select(StoryCheck.story_id, StoryCheck.archive_url).where(
        StoryCheck.story_id.in_(sorted(set(story_ids))), StoryCheck.archive_url.is_not(None)))
    return {sid: url for sid, url in rows if url}


def wayback_due(session: Session, now: datetime, limit: int) -> list[StoryCheck]:
    """Wayback captures to submit (queued) or to ask about (pending), whose time has come."""
    return list(session.scalars(
        select(StoryCheck).where(StoryCheck.wayback_state.in_(["queued", "pending"]),
                                 StoryCheck.wayback_next_at <= now)
        .order_by(StoryCheck.wayback_next_at).limit(limit)))


def set_wayback(session: Session, story_id: int, **values: object) -> None:
    """Record a Wayback step (state, job, attempts, next_at, error, archive URL)."""
    row = session.get(StoryCheck, story_id)
    if row is None:
        return
    for name, value in values.items():
        setattr(row, f"wayback_{name}" if name != "archive_url" else name, value)


def add_change_alerts(session: Session, version_id: int, story_id: int,
                      targets: Iterable[Target], now: datetime) -> int:
    """One pending change alert of a version per (subscriber, channel); returns how many."""
    count = 0
    for subscriber, channel in targets:
        session.add(ChangeAlert(version_id=version_id, story_id=story_id, subscriber=subscriber,
                                channel=channel, state="pending", attempts=0,
                                next_attempt_at=now))
        count += 1
    return count


@dataclass(frozen=True)
class DueChange:
    """A pending change alert with what its message says."""

    id: int
    subscriber: str
    channel: str
    attempts: int
    story_id: int
    new: PageVersion
    old: PageVersion | None
    link: str | None


def due_change_alerts(session: Session, now: datetime, limit: int) -> list[DueChange]:
    """Pending change alerts whose time has come, with the new and the previous version."""
    rows = session.execute(
        select(ChangeAlert, PageVersion, Story.link)
        .join(PageVersion, ChangeAlert.version_id == PageVersion.id)
        .join(Story, ChangeAlert.story_id == Story.id)
        .where(ChangeAlert.state.in_(["pending", "sending"]), ChangeAlert.next_attempt_at <= now)
        .order_by(ChangeAlert.next_attempt_at, ChangeAlert.id).limit(limit)).all()
    due = []
    for alert, new, link in rows:
        old = session.scalar(select(PageVersion).where(
            PageVersion.story_id == new.story_id, PageVersion.version < new.version,
            PageVersion.kind == "page").order_by(PageVersion.version.desc()).limit(1))
        due.append(DueChange(alert.id, alert.subscriber, alert.channel, alert.attempts,
                             alert.story_id, new, old, link))
    return due


def change_alert_states(session: Session, story_id: int) -> list[tuple[str, str, str]]:
    """(subscriber, channel, state) of every change alert about the story."""
    return [(s, c, st) for s, c, st in session.execute(
        select(ChangeAlert.subscriber, ChangeAlert.channel, ChangeAlert.state)
        .where(ChangeAlert.story_id == story_id).order_by(ChangeAlert.id))]


def alerted_to(session: Session, story_id: int) -> set[tuple[str, str]]:
    """(subscriber, channel) the story was alerted to (a delivery row not failed for good):
    only they hear that it changed."""
    return {(sub, ch) for sub, ch in session.execute(
        select(Delivery.subscriber, Delivery.channel)
        .where(Delivery.story_id == story_id, Delivery.state != "failed"))}


def story_title(session: Session, story_id: int) -> str:
    return session.scalar(select(Story.title).where(Story.id == story_id)) or ""
