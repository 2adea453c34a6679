"""INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite, so racing workers never clash."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_ignore(session: Session, model: type, rows: Sequence[dict],
                  conflict_columns: Sequence[str]) -> None:
    """Insert ``rows``, skipping any that collide on ``conflict_columns`` (another writer won).

    Rows go in the order of their conflict key, so writers inserting overlapping rows wait on
    each other in one order: in any other, PostgreSQL can deadlock them on the unique index."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: tuple(repr(row.get(c)) for c in conflict_columns))
    insert = _INSERTS.get(session.get_bind().dialect.name)
    if insert is None:
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(model.__table__.insert().values(**row))
            except IntegrityError:
                continue
        return
    stmt = insert(model).values(list(rows)).on_conflict_do_nothing(
        index_elements=list(conflict_columns))
    session.execute(stmt)
