"""Bulk INSERTs straight through the driver: the rows of a cycle's new stories.

The rows are taken column by column, each column's bind processor (UTC datetimes) runs once
per distinct value (a batch's rows share their timestamps), and the tuples go in one call:
sqlite3's ``executemany`` on SQLite (the store step at 0.82x the CPU it takes with
SQLAlchemy Core, bench/stage_bench.py), PostgreSQL's COPY through psycopg (Core's
insertmanyvalues spent much of its time in psycopg rewriting statements of thousands of
placeholders; a statement per row was slower still, bench/workers_bench.py). Errors are
SQLAlchemy's, as a statement's would be: a lost race is an ``IntegrityError``, a value the
database cannot hold a ``DataError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """Insert ``rows`` (all with the same keys) straight through the driver; False when
    the database is neither SQLite nor PostgreSQL through psycopg (the caller uses Core).

    Columns missing from the rows get their Python-side scalar default, as Core would give;
    rows missing a column whose default is computed (a callable) are left to Core."""
    if not rows:
        return True
    conn = session.connection()
    dialect = conn.dialect
    copying = dialect.name == "postgresql" and dialect.driver == "psycopg"
    if dialect.paramstyle != "qmark" and not copying:
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
    target = f"{preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)})"
    if copying:
        _copy(conn, f"COPY {target} FROM STDIN", params)
    else:
        conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join(['?'] * len(names))})",
                             params)
    return True


def _copy(conn: Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """Rows through PostgreSQL's COPY (psycopg), in the session's transaction; a failure is
    raised as SQLAlchemy raises a statement's (a unique violation is an IntegrityError)."""
    import psycopg

    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
    finally:
        cursor.close()


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
