"""Story pages: a new story's article page waits here until fetched, its extracted text is kept,
and a page that failed for a passing reason is claimed again later. All their SQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from storage.models import Delivery, Hit, Story, StoryPage

__all__ = ["DuePage", "add_pages", "claim_due", "delivered_targets", "hit_entities",
           "page_of", "record_failure", "record_page"]


class DuePage(NamedTuple):
    """A page claimed for fetching, with what its story already says."""

    id: int
    story_id: int
    url: str
    attempts: int  # including this one
    title: str
    summary: str


def add_pages(session: Session, rows: Iterable[tuple[int, str]], now: datetime) -> None:
    """Pending pages for new stories, as (story id, page URL); due at once."""
    values = [{"story_id": sid, "url": url, "state": "pending", "attempts": 0,
               "next_attempt_at": now, "created_at": now} for sid, url in rows]
    if values:
        session.execute(insert(StoryPage), values)


def claim_due(session: Session, now: datetime, lease_s: float, limit: int) -> list[DuePage]:
    """Pending pages whose time has come, oldest first; each is pushed ``lease_s`` into the
    future, so another worker does not take it and a crash leaves it due again."""
    rows = session.execute(
        select(StoryPage.id, StoryPage.story_id, StoryPage.url, StoryPage.attempts,
               Story.title, Story.summary)
        .join(Story, Story.id == StoryPage.story_id)
        .where(StoryPage.state == "pending", StoryPage.next_attempt_at <= now)
        .order_by(StoryPage.next_attempt_at, StoryPage.id).limit(limit)).all()
    claimed = []
    lease_until = now + timedelta(seconds=lease_s)
    for row in rows:
        taken = session.execute(
            update(StoryPage)
            .where(StoryPage.id == row.id, StoryPage.next_attempt_at <= now,
                   StoryPage.state == "pending")
            .values(next_attempt_at=lease_until, attempts=StoryPage.attempts + 1))
        if getattr(taken, "rowcount", 0) == 1:
            claimed.append(DuePage(row.id, row.story_id, row.url, row.attempts + 1,
                                   row.title, row.summary))
    return claimed


def release_claims(session: Session, page_ids: Iterable[int], now: datetime) -> None:
    """Claimed pages that were not tried after all: due again now, the claim not counted."""
    ids = list(page_ids)
    if ids:
        session.execute(update(StoryPage).where(StoryPage.id.in_(ids))
                        .values(next_attempt_at=now, attempts=StoryPage.attempts - 1))


def record_page(session: Session, page_id: int, values: dict[str, Any]) -> None:
    """A fetched and read page: its final URL, status, fetch time and extracted text."""
    session.execute(update(StoryPage).where(StoryPage.id == page_id)
                    .values(state="done", last_error=None, **values))


def record_failure(session: Session, page_id: int, error: str, status: int | None,
                   retry_at: datetime | None, final_state: str = "failed") -> None:
    """A page not read: due again at ``retry_at``, or never again (``final_state``)."""
    values: dict[str, Any] = {"last_error": error[:1000], "status": status}
    if retry_at is None:
        values["state"] = final_state
    else:
        values["next_attempt_at"] = retry_at
    session.execute(update(StoryPage).where(StoryPage.id == page_id).values(**values))


def hit_entities(session: Session, story_id: int) -> set[tuple[str, str]]:
    """(watchlist, entity) already hit in a story: a body hit adds only new ones."""
    return {(w, e) for w, e in session.execute(
        select(Hit.watchlist, Hit.entity).where(Hit.story_id == story_id))}


def delivered_targets(session: Session, story_id: int) -> set[tuple[str, str]]:
    """(subscriber, channel) a story is already queued or sent to: it is alerted once."""
    return {(s, c) for s, c in session.execute(
        select(Delivery.subscriber, Delivery.channel).where(Delivery.story_id == story_id))}


def story_language(session: Session, story_id: int) -> str | None:
    """The language told for a story when it was stored (subscribers' ``languages``)."""
    return session.scalar(select(Story.language).where(Story.id == story_id))


def page_of(session: Session, story_id: int) -> StoryPage | None:
    """A story's page row, if it has one."""
    return session.scalars(select(StoryPage).where(StoryPage.story_id == story_id)).first()
