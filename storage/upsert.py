"""INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite, so racing workers never clash."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Base


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements that bypass the ORM."""
    # Declarative classes here map one Table each; SQLAlchemy types __table__ as any FromClause.
    return cast(Table, model.__table__)


def insert_ignore(session: Session, model: type[Base], rows: Sequence[dict[str, Any]],
                  conflict_columns: Sequence[str]) -> None:
    """Insert ``rows``, skipping any that collide on ``conflict_columns`` (another writer won).

    Rows go in the order of their conflict key, so writers inserting overlapping rows wait on
    each other in one order: in any other, PostgreSQL can deadlock them on the unique index."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: tuple(repr(row.get(c)) for c in conflict_columns))
    stmt = _on_conflict_do_nothing(session.get_bind().dialect.name, model, rows,
                                   conflict_columns)
    if stmt is not None:
        session.execute(stmt)
        return
    for row in rows:
        try:
            with session.begin_nested():
                session.execute(table_of(model).insert().values(**row))
        except IntegrityError:
            continue


def _on_conflict_do_nothing(dialect: str, model: type[Base], rows: Sequence[dict[str, Any]],
                            conflict_columns: Sequence[str]) -> Executable | None:
    """The one-statement insert of the dialects that have it; None for any other."""
    if dialect == "postgresql":
        return postgresql.insert(model).values(list(rows)).on_conflict_do_nothing(
            index_elements=list(conflict_columns))
    if dialect == "sqlite":
        return sqlite.insert(model).values(list(rows)).on_conflict_do_nothing(
            index_elements=list(conflict_columns))
    return None
