"""Feed leases: many workers share one database and each due feed is polled by one of them."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Feed


def worker_id() -> str:
    """A name for this process that is unique across machines and restarts."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


def claim_feeds(session: Session, owner: str, now: datetime, lease_s: float, limit: int,
                due_by: datetime, polled_before: datetime | None = None,
                exclude: Collection[int] = ()) -> list[Feed]:
    """Lease up to ``limit`` due feeds to ``owner``; rows another worker holds are skipped.

    Due means ``next_poll_at <= due_by`` (or, with ``polled_before``, not polled since then:
    ``poll-once`` polls every feed). A lease that expired (its worker died) is taken over.
    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets workers claim at once without waiting on
    each other; SQLite, which has a single writer, ignores it and the UPDATE is atomic.
    """
    due = (Feed.next_poll_at <= due_by if polled_before is None
           else or_(Feed.last_polled_at.is_(None), Feed.last_polled_at < polled_before))
    picked = (select(Feed.id)
              .where(Feed.state != "disabled", due,
                     or_(Feed.lease_until.is_(None), Feed.lease_until < now),
                     Feed.id.not_in(list(exclude)))
              .order_by(Feed.next_poll_at, Feed.id).limit(limit)
              .with_for_update(skip_locked=True)
              .cte("picked"))
    stmt = (update(Feed).where(Feed.id == picked.c.id)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
            .returning(Feed))
    return list(session.scalars(stmt, execution_options={"synchronize_session": False}))


def release(feed: Feed, owner: str) -> None:
    """End ``owner``'s lease on ``feed`` (a lease taken over by another worker is left alone)."""
    if feed.lease_owner == owner:
        feed.lease_owner, feed.lease_until = None, None


def feeds_by_id(session: Session, ids: Collection[int]) -> dict[int, Feed]:
    """The feed rows with these ids (a feed deleted meanwhile is simply absent)."""
    return {f.id: f for f in session.scalars(select(Feed).where(Feed.id.in_(list(ids))))}


# --- Feed counts and times for the service (metrics, health, the daemon's scheduler) ---

def count_by_state(session: Session) -> dict[str, int]:
    """How many feeds are in each state (states with none are absent)."""
    return dict(session.execute(select(Feed.state, func.count())
                                .group_by(Feed.state)).all())


def last_polled_at(session: Session) -> datetime | None:
    """When any feed was last polled; None before the first poll."""
    return session.scalar(select(func.max(Feed.last_polled_at)))


def next_poll_times(session: Session, urls: Collection[str]) -> list[datetime]:
    """When each feed of ``urls`` that is not disabled is next due."""
    return [t for url, t, state in session.execute(
        select(Feed.url, Feed.next_poll_at, Feed.state)) if url in urls and state != "disabled"]
