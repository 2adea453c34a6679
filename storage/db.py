"""Engine and session setup; SQLite gets WAL and foreign keys so it behaves like a server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


@dataclass
class Database:
    """An engine plus a session factory; ``session()`` commits on success, rolls back on error."""

    engine: Engine
    factory: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.factory() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (RELEASE would commit a savepoint
    # of a transaction it never began); SQLAlchemy's recipe: let SQLAlchemy emit BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then
    # writes, fails at once with "database is locked" when another one did the same.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def connect(url: str, create: bool = True) -> Database:
    """Open ``url`` (creating the SQLite file's folder); ``create``: migrate the schema to head."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if create:
        from storage.migrate import upgrade

        upgrade(engine)
    return Database(engine=engine, factory=sessionmaker(engine, expire_on_commit=False))
