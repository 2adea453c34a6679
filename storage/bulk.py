"""Bulk INSERTs on SQLite straight through the driver: the rows of a cycle's new stories.

The statement is written once, the rows are taken column by column, each column's bind
processor (UTC datetimes) runs once per distinct value (a batch's rows share their
timestamps), and the tuples go to sqlite3's ``executemany`` in one call, instead of
SQLAlchemy building and type-processing a parameter set per row: the store step takes
0.82x the CPU it takes with Core (bench/stage_bench.py; 0.95x when each value of each row
was processed). On PostgreSQL the same (one statement per row, or hand-built multi-row
INSERTs) was slower than SQLAlchemy's insertmanyvalues in bench/workers_bench.py, so
PostgreSQL keeps Core. Errors are still SQLAlchemy's (``exec_driver_sql`` wraps them): a
lost race is an ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """Insert ``rows`` (all with the same keys) straight through the driver; False when
    the database is not SQLite (the caller inserts with Core).

    Columns missing from the rows get their Python-side scalar default, as Core would give;
    rows missing a column whose default is computed (a callable) are left to Core."""
    if not rows:
        return True
    conn = session.connection()
    dialect = conn.dialect
    if dialect.paramstyle != "qmark":
        return False
    given = list(rows[0])
    if any(c.name not in rows[0] and c.default is not None and not c.default.is_scalar
           for c in table.columns):
        return False  # a computed default (utcnow): Core's insert runs it per row
    defaults = {c.name: c.default.arg for c in table.columns  # type: ignore[attr-defined]
                if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
    names = given + list(defaults)
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    columns = [[row[name] for row in rows] for name in given]
    columns += [[value] * len(rows) for value in defaults.values()]
    bound = [_processed(p, c) for p, c in zip(processors, columns, strict=True)]
    params = list(zip(*bound, strict=True))
    preparer = dialect.identifier_preparer
    head = (f"INSERT INTO {preparer.format_table(table)} "
            f"({', '.join(preparer.quote(n) for n in names)}) VALUES ")
    conn.exec_driver_sql(head + f"({', '.join(['?'] * len(names))})", params)
    return True


def _processed(processor: Callable[[Any], Any] | None, values: list[Any]) -> list[Any]:
    """A column's values as bound: each distinct value processed once (a batch's rows share
    their timestamps), None left as is."""
    if processor is None:
        return values
    try:
        bound = {v: processor(v) for v in set(values) if v is not None}
    except TypeError:  # unhashable values (JSON): one by one
        return [None if v is None else processor(v) for v in values]
    return [bound.get(v) for v in values]
