"""Bulk INSERTs on SQLite straight through the driver: the rows of a cycle's new stories.

The statement is written once, each column's bind processor (UTC datetimes) is applied
directly and the tuples go to sqlite3's ``executemany`` in one call, instead of SQLAlchemy
building and type-processing a parameter set per row. Measured (bench/stage_bench.py) it
saves only 1-5 % of the store step's CPU; on PostgreSQL the same (one statement per row, or
hand-built multi-row INSERTs) was slower than SQLAlchemy's insertmanyvalues in
bench/workers_bench.py, so PostgreSQL keeps Core. Errors are still SQLAlchemy's
(``exec_driver_sql`` wraps them): a lost race is an ``IntegrityError``.
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
    fixed = tuple(defaults.values())
    params = [tuple(row[name] for name in given) + fixed for row in rows]
    if any(processors):
        params = [tuple(v if p is None or v is None else p(v)
                        for p, v in zip(processors, row, strict=True)) for row in params]
    preparer = dialect.identifier_preparer
    head = (f"INSERT INTO {preparer.format_table(table)} "
            f"({', '.join(preparer.quote(n) for n in names)}) VALUES ")
    conn.exec_driver_sql(head + f"({', '.join(['?'] * len(names))})", params)
    return True
