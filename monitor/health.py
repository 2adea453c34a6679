"""Is the daemon healthy? Storage must answer and feeds must have been polled recently."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from monitor.config import Config
from storage import Database, Feed
from storage.models import utcnow

GRACE = timedelta(minutes=5)


def check_health(config: Config, db: Database) -> tuple[bool, str]:
    """(healthy, reason): stale when no feed was polled within its interval plus a grace period."""
    try:
        with db.session() as s:
            s.execute(text("SELECT 1"))
            last = s.scalar(select(func.max(Feed.last_polled_at)))
    except Exception as exc:  # noqa: BLE001 - any storage failure is unhealthy
        return False, f"storage does not answer: {type(exc).__name__}"
    if not config.feeds:
        return True, "ok: no feeds configured"
    if last is None:
        return False, "no feed has been polled yet"
    shortest = min(f.interval for f in config.feeds)
    age = utcnow() - last
    if age > timedelta(seconds=shortest) + GRACE:
        return False, f"last poll was {int(age.total_seconds())}s ago"
    return True, f"ok: last poll {int(age.total_seconds())}s ago"
