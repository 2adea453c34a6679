"""Retention: forget stories older than ``retention_days`` with their hits and sources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select

from storage.db import Database
from storage.models import Delivery, Story

BATCH = 2000


def prune(db: Database, older_than: datetime) -> int:
    """Delete stories first seen before ``older_than`` unless an alert for them is still pending.

    Hits, sources and sent or failed deliveries go with the story (ON DELETE CASCADE). Deletes
    run in small transactions so other workers never wait long on them; returns the count.
    """
    pending = exists().where(Delivery.story_id == Story.id, Delivery.state == "pending")
    total = 0
    while True:
        with db.session() as s:
            ids = list(s.scalars(select(Story.id).where(Story.first_seen_at < older_than,
                                                        ~pending).limit(BATCH)))
            if not ids:
                return total
            s.execute(delete(Story).where(Story.id.in_(ids)),
                      execution_options={"synchronize_session": False})
        total += len(ids)
