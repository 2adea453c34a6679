"""Read and re-queue the delivery ledger for ``monitor deliveries``; no notify URL ever shown."""

from __future__ import annotations

from collections.abc import Sequence

from storage import Session, deliveries
from storage.links import web_link
from storage.models import utcnow


def ledger_rows(session: Session, state: str | None, subscriber: str | None, limit: int | None,
                labels: dict[tuple[str, str], str]) -> list[dict]:
    """Deliveries newest first; ``labels`` maps (subscriber, channel id) to a safe label.
    A story link that is not http(s) (an old row) is null."""
    return [{
        "id": d.id, "state": d.state, "subscriber": d.subscriber,
        "channel": labels.get((d.subscriber, d.channel), f"#{d.channel[:6]} (not configured)"),
        "attempts": d.attempts, "story_id": d.story_id, "title": title, "link": web_link(link),
        "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.next_attempt_at.isoformat() if d.state == "pending" else None,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        "last_error": d.last_error,
    } for d, title, link in deliveries.ledger(session, state, subscriber, limit)]


def retry(session: Session, ids: Sequence[int] | None) -> int:
    """Re-queue the given deliveries (None: every failed one) to be sent at the next pass."""
    return deliveries.requeue(session, ids, utcnow())
