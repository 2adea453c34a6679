"""Public records (the ``records`` table): the facts stored with a record's story, and the
read views of the Contracts page (amounts per month per recipient, latest actions)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import Record, Story

COLUMNS = ("provider", "record_id", "action", "agency", "recipient", "amount_obligated",
           "amount_total", "acted_on")


def record_row(story_id: int, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The row for a story's record facts: the known columns, the rest kept as JSON."""
    row: dict[str, Any] = {"story_id": story_id}
    for name in COLUMNS:
        value = facts.get(name)
        row[name] = value if value is not None or name.startswith("amount") else ""
    row["facts"] = json.dumps({k: v for k, v in facts.items() if k not in COLUMNS},
                              sort_keys=True, ensure_ascii=False)
    return row


def insert_records(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row INSERT, in the stories' transaction."""
    if rows:
        session.execute(insert(Record), list(rows))


@dataclass(frozen=True)
class RecordView:
    """A record as the page and the CLI show it."""

    story_id: int
    title: str
    link: str | None
    provider: str
    action: str
    agency: str
    recipient: str
    amount_obligated: float | None
    amount_total: float | None
    acted_on: str
    facts: dict[str, Any]


def latest_records(session: Session, limit: int = 50,
                   provider: str | None = None) -> list[RecordView]:
    """The newest records by action date (then by when found)."""
    query = (select(Record, Story.title, Story.link).join(Story, Story.id == Record.story_id)
             .order_by(Record.acted_on.desc(), Story.first_seen_at.desc()).limit(limit))
    if provider:
        query = query.where(Record.provider == provider)
    return [RecordView(r.story_id, title, link, r.provider, r.action, r.agency, r.recipient,
                       r.amount_obligated, r.amount_total, r.acted_on, json.loads(r.facts or "{}"))
            for r, title, link in session.execute(query)]


def obligations_by_month(session: Session, since: str = "") -> dict[str, dict[str, float]]:
    """Amounts obligated per recipient per month (``YYYY-MM``) from ``since`` (a date), every
    award and modification counted once, on its action date."""
    query = select(Record.recipient, Record.acted_on, Record.amount_obligated).where(
        Record.provider == "usaspending", Record.amount_obligated.is_not(None),
        Record.acted_on >= since)
    months: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for recipient, acted_on, amount in session.execute(query):
        if acted_on and amount is not None:
            months[recipient][acted_on[:7]] += amount
    return {r: dict(m) for r, m in months.items()}
