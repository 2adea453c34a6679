"""Stories and what is written with them (sources, hits, fingerprints); retention.

Storing new entries and the near-duplicate index read and write here: the pipeline decides,
this module holds the SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from sqlalchemy.exc import IntegrityError as IntegrityError  # re-exported: a lost insert race
from sqlalchemy.exc import OperationalError as OperationalError  # re-exported: deadlock, lock
from sqlalchemy.orm import Session as Session  # re-exported for callers' type hints

from storage.bulk import bulk_insert
from storage.db import Database
from storage.models import Delivery, Hit, Story, StoryFingerprint, StorySource
from storage.upsert import table_of

BATCH = 2000
CHUNK = 5000  # bound parameters per IN (...) look-up, well under SQLite's and psycopg's limits


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


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    """``values`` in slices of ``size``: one IN (...) look-up each."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter however
    many values: psycopg parses a statement of 5,000 parameters afresh each time (~1 ms)."""
    if session.get_bind().dialect.name == "postgresql":
        # text[], not varchar(n)[]: a cast to varchar(n) would cut a longer value to match
        item = Text() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, list(values), type_=ARRAY(item)))
    return column.in_(values)


def unstorable(exc: Exception) -> bool:
    """An error caused by an entry's own values, which no retry fixes (not a database outage)."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        return False
    cause = exc.orig if isinstance(exc, StatementError) else exc
    return isinstance(cause, ValueError | OverflowError)  # UnicodeEncodeError is a ValueError


def known_entry_keys(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (feed id, entry key) pairs already stored as sources."""
    feed_ids = sorted({f for f, _ in pairs})
    known: set[tuple[int, str]] = set()
    for keys in chunks(sorted({k for _, k in pairs})):
        rows = session.execute(select(StorySource.feed_id, StorySource.entry_key).where(
            one_of(session, StorySource.feed_id, feed_ids),
            one_of(session, StorySource.entry_key, keys)))
        known.update((f, k) for f, k in rows if (f, k) in pairs)
    return known


def stories_by_url(session: Session, urls: list[str]) -> dict[str, int]:
    """Story id by canonical link, for the links already stored."""
    found: dict[str, int] = {}
    for chunk in chunks(urls):
        rows = session.execute(select(Story.canonical_url, Story.id)
                               .where(one_of(session, Story.canonical_url, chunk)))
        found.update((url, sid) for url, sid in rows if url is not None)
    return found


def outlet_stories(session: Session, hosts: list[str], aggregated_hosts: list[str],
                   opaque_prefixes: Sequence[str], since: datetime
                   ) -> list[tuple[int, str, str, str | None]]:
    """(id, outlet host, title, canonical link) of stories first seen since ``since``: every
    story of ``hosts``, and those of ``aggregated_hosts`` stored under an aggregator's link
    (one of ``opaque_prefixes``)."""
    found: dict[int, tuple[int, str, str, str | None]] = {}
    cols = (Story.id, Story.outlet_host, Story.title, Story.canonical_url)
    recent = Story.first_seen_at >= since
    for chunk in chunks(sorted(set(hosts))):
        for row in session.execute(select(*cols).where(one_of(session, Story.outlet_host, chunk),
                                                       recent)):
            found[row[0]] = tuple(row)  # type: ignore[assignment]
    opaque = or_(*(Story.canonical_url.startswith(p, autoescape=True) for p in opaque_prefixes))
    for chunk in chunks(sorted(set(aggregated_hosts))):
        for row in session.execute(select(*cols).where(one_of(session, Story.outlet_host, chunk),
                                                       recent, opaque)):
            found[row[0]] = tuple(row)  # type: ignore[assignment]
    return list(found.values())


def relink_stories(session: Session, rows: list[dict]) -> None:
    """Stories stored under an aggregator's link move to the publisher's (story_id,
    canonical_url, link) once the outlet's own copy is seen."""
    table = table_of(Story)
    for row in rows:
        session.execute(update(table).where(table.c.id == row["story_id"]).values(
            canonical_url=row["canonical_url"], link=row["link"]))


def story_texts(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, summary) of stored stories by id."""
    rows = session.execute(select(Story.id, Story.title, Story.summary)
                           .where(one_of(session, Story.id, list(ids))))
    return {sid: (title, summary) for sid, title, summary in rows}


def story_feeds(session: Session, story_ids: list[int]) -> set[tuple[int, int]]:
    """The (story id, feed id) pairs recorded as sources of these stories."""
    seen: set[tuple[int, int]] = set()
    for ids in chunks(story_ids):
        seen.update((sid, fid) for sid, fid in session.execute(
            select(StorySource.story_id, StorySource.feed_id).where(
                one_of(session, StorySource.story_id, ids))))
    return seen


def insert_stories(session: Session, rows: list[dict]) -> list[int]:
    """One multi-row INSERT of story rows; returns their ids, in order."""
    if not rows:
        return []
    table = table_of(Story)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # SQLite cannot pair RETURNING rows with parameter sets, so SQLAlchemy would insert
        # row by row. Every SQLite transaction here holds the write lock (BEGIN IMMEDIATE),
        # so numbering from max(id) + 1 is exactly what SQLite itself would do, in one go.
        start = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        ids = list(range(start + 1, start + 1 + len(rows)))
        _insert(session, table, [dict(row, id=i) for row, i in zip(rows, ids, strict=True)])
        return ids
    if dialect == "postgresql":  # the ids it would give, taken in one go; the rows by COPY
        ids = sorted(session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('stories', 'id')) "
            "FROM generate_series(1, :n)"), {"n": len(rows)}))
        _insert(session, table, [dict(row, id=i) for row, i in zip(rows, ids, strict=True)])
        return ids
    return list(session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))


def insert_sources(session: Session, rows: list[dict]) -> None:
    """Story source rows (story_id, feed_id, entry_key, link, seen_at)."""
    _insert(session, table_of(StorySource), rows)


def insert_hits(session: Session, rows: list[dict]) -> None:
    """Hit rows written with their new stories."""
    _insert(session, table_of(Hit), rows)


class FoundHit(Protocol):
    """What the matcher found (a ``monitor.matching.Match``), as a hit row keeps it."""

    @property
    def watchlist(self) -> str: ...
    @property
    def entity(self) -> str: ...
    @property
    def alias(self) -> str: ...
    @property
    def matched(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def rule(self) -> str: ...
    @property
    def context(self) -> str: ...


def hit_row(story_id: int, m: FoundHit, now: datetime) -> dict[str, Any]:
    """The row of one hit: the one shape the store, the page step and backtests write."""
    return {"story_id": story_id, "watchlist": m.watchlist, "entity": m.entity,
            "alias": m.alias, "matched": m.matched, "field": m.field, "score": m.score,
            "rule": m.rule, "context": m.context, "created_at": now}


def insert_fingerprints(session: Session, rows: Iterable[tuple[int, Sequence[int]]],
                        now: datetime) -> None:
    """New stories' near-duplicate band keys, as (story id, keys)."""
    values = [{"story_id": sid, "keys": " ".join(map(str, keys)), "created_at": now}
              for sid, keys in rows]
    _insert(session, table_of(StoryFingerprint), values)


def _insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Rows through the driver's executemany (storage.bulk), else a Core multi-row INSERT."""
    if rows and not bulk_insert(session, table, rows):
        session.execute(insert(table), rows)


def recent_fingerprints(db: Database, since: datetime) -> list[tuple[int, tuple[int, ...]]]:
    """(story id, band keys) of stories fingerprinted since ``since``; older ones are deleted."""
    with db.session() as s:
        s.execute(delete(StoryFingerprint).where(StoryFingerprint.created_at < since))
        rows = s.execute(select(StoryFingerprint.story_id, StoryFingerprint.keys)
                         .where(StoryFingerprint.created_at >= since)).all()
    return [(story_id, tuple(int(k) for k in keys.split())) for story_id, keys in rows]
