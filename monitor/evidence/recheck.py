"""Keep and recheck the page of every story with a hit.

A story is captured once it has a hit (version 1: the page as fetched), then re-fetched at each
``[evidence] recheck`` delay after it was found. A re-fetch that fails (timeout, too large, not
HTML, robots, network, a server error) is no change: the next delay tries again. A page now 404
or 410, now redirecting elsewhere, or whose headline or body changed beyond trivia becomes a new
version, and subscribers with ``changes = true`` who follow the story get one change alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.evidence.changes import Change, compare
from monitor.evidence.reading import Fetched, capture, gone, read_page, same_place
from monitor.pages.page import UNREACHED
from notifiers.channels import Recipient
from storage import Database
from storage import evidence as store
from storage.evidence import Capture
from storage.models import PageVersion
from storage.stories import IntegrityError

Fetch = Callable[[list[str]], Sequence[Fetched]]  # pages in the order asked
BATCH = 100  # stories captured or rechecked per pass
LEASE = timedelta(minutes=30)  # a claimed recheck is due again after this if its worker died


@dataclass
class EvidenceReport:
    """What one evidence pass did."""

    captured: int = 0
    rechecked: int = 0
    changed: int = 0
    change_alerts: int = 0


def next_check(found_at: datetime, done: int, delays: Sequence[float]) -> datetime | None:
    """When the recheck after ``done`` rechecks is due; None when the schedule is over."""
    return found_at + timedelta(seconds=delays[done]) if done < len(delays) else None


def keep_first(db: Database, story_id: int, link: str, found_at: datetime, page: Fetched,
               delays: Sequence[float], now: datetime, wayback: bool) -> bool:
    """Start a story's evidence: its schedule, its Wayback request and, when the page was
    fetched, version 1. False when another worker (or the page step) kept it first."""
    try:
        with db.session() as s:
            store.start_check(s, story_id, link, found_at, next_check(found_at, 0, delays),
                              now if wayback else None)
            if page.failure is None:
                store.add_version(s, story_id, capture(page))
    except IntegrityError:
        return False
    return page.failure is None


def capture_new(db: Database, fetch: Fetch, delays: Sequence[float], now: datetime,
                since: datetime, wayback: bool, report: EvidenceReport) -> None:
    """Start the evidence of stories with new hits whose page no other step kept."""
    with db.read() as s:
        todo = store.uncaptured(s, since, BATCH)
    if not todo:
        return
    pages = fetch([link for _, link, _ in todo])
    for (story_id, link, found_at), page in zip(todo, pages, strict=True):
        if page.failure == UNREACHED:  # a stop came first: the next pass captures it
            continue
        report.captured += keep_first(db, story_id, link, found_at, page, delays, now, wayback)


def flapping(history: Sequence[PageVersion]) -> bool:
    """True when the page's last alerted removal was followed only by it coming back as it
    was: one "removed" alert per disappearance of a version not yet seen gone."""
    last_gone = next((i for i in range(len(history) - 1, -1, -1)
                      if history[i].kind == "gone" and history[i].change), None)
    return last_gone is not None and all(not v.change for v in history[last_gone + 1:])


def outcome(page: Fetched, history: Sequence[PageVersion]
            ) -> tuple[Capture, Change | None] | None:
    """The version a re-fetch makes, with the change to alert (None: nothing to keep).

    A page never captured (no readable version yet) has nothing to lose: no "removed" alert."""
    latest = history[-1] if history else None
    reference = next((v for v in reversed(history) if v.kind == "page"), None)
    if gone(page):
        if latest is not None and latest.kind == "gone":
            return None
        if reference is None or flapping(history):  # never captured, or gone again unchanged
            return capture(page, "gone"), None
        change = Change("removed", old_title=reference.title, status=page.status)
        return capture(page, "gone", change), change
    if page.failure is not None:
        return None
    final = page.final_url or page.url
    if reference is not None and not same_place(final, reference.final_url) \
            and not same_place(final, page.url):
        if latest is not None and latest.kind == "redirect" and same_place(final,
                                                                           latest.final_url):
            return None
        change = Change("redirected", old_title=reference.title, final_url=final)
        return capture(page, "redirect", change), change
    title, text = read_page(page.body, final)
    if reference is None:
        return capture(page, read=(title, text)), None
    edit = compare(reference.title, reference.text, title, text)
    if edit is None:
        if latest is not None and latest.kind != "page":  # back as it was: kept, not alerted
            return capture(page, read=(title, text)), None
        return None
    return capture(page, change=edit, read=(title, text)), edit


def change_targets(recipients: Sequence[Recipient],
                   alerted: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(subscriber, channel) of everyone with ``changes = true`` who was alerted to the story on
    that channel: not a backlog story never alerted, nor one their query or routing refused."""
    return [(r.name, c.id) for r in recipients if r.changes
            for c in r.channels if (r.name, c.id) in alerted]


def recheck_due(db: Database, fetch: Fetch, delays: Sequence[float],
                recipients: Sequence[Recipient], now: datetime, report: EvidenceReport) -> None:
    """Re-fetch every story whose recheck is due; keep what changed and queue its alerts."""
    with db.session() as s:
        due = store.claim_checks(s, now, BATCH, LEASE)
    if not due:
        return
    pages = fetch([url for _, url, _, _ in due])
    for (story_id, _url, found_at, done), page in zip(due, pages, strict=True):
        if page.failure == UNREACHED:  # a stop came first: due again when the lease ends
            continue
        report.rechecked += 1
        with db.session() as s:
            made = outcome(page, store.versions(s, story_id))
            if made is not None:
                version = store.add_version(s, story_id, made[0])
                if made[1] is not None:
                    report.changed += 1
                    report.change_alerts += store.add_change_alerts(
                        s, version.id, story_id,
                        change_targets(recipients, store.alerted_to(s, story_id)), now)
            store.set_schedule(s, story_id, done + 1, next_check(found_at, done + 1, delays))
