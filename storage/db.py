"""Engine and session setup; SQLite gets WAL and foreign keys so it behaves like a server."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from storage.readonly import READ_ONLY, reading

_OPENED_READ_ONLY = "opened_read_only"  # pool record flag: SQLite fell back to a read-only open


@dataclass
class Database:
    """An engine plus a session factory; ``session()`` commits on success, rolls back on error."""

    engine: Engine
    factory: sessionmaker[Session]
    reader: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.reader = reading(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.factory() as s, s.begin():
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session that only reads: on SQLite it never takes the write lock, so it runs
        beside a writer (WAL); whatever it might have changed is rolled back."""
        with Session(self.reader, expire_on_commit=False) as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def ping(session: Session) -> None:
    """Raise unless the database answers a trivial query (health checks)."""
    session.execute(text("SELECT 1"))


_DRIVER_INSTALL = {  # the project's extra installs psycopg (3), which "postgresql+psycopg://" names
    "psycopg": "pip install '.[postgres]'",
    "psycopg2": "pip install '.[postgres]'` and write the url as `postgresql+psycopg://…",
}


def _missing_driver(error: ImportError) -> str:
    """Name the database driver that failed to import and the command that installs it."""
    package = (error.name or str(error)).split(".")[0]
    install = _DRIVER_INSTALL.get(package, f"pip install {package}")
    return (f"storage url needs the Python package {package!r}, which is not installed: "
            f"run `{install}`")


def storage_url_problem(url: str) -> str | None:
    """Why ``url`` could not be opened (not a URL, unknown dialect, driver not installed), or
    None: `monitor check` reports it before anything connects."""
    try:
        make_url(url).get_dialect().import_dbapi()  # the driver, as create_engine imports it
    except (exc.ArgumentError, ValueError):
        return "storage url is not an SQLAlchemy URL (e.g. sqlite:///data/monitor.db)"
    except exc.NoSuchModuleError as error:
        return f"storage url names an unknown database dialect: {error}"
    except ImportError as error:
        return _missing_driver(error)
    return None


def url_password(url: str) -> str | None:
    """The password in a database URL (for log redaction), None when it has none or is bad."""
    try:
        return make_url(url).password
    except (exc.ArgumentError, ValueError):
        return None


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (RELEASE would commit a savepoint
    # of a transaction it never began); SQLAlchemy's recipe: let SQLAlchemy emit BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers: IMMEDIATE takes the write lock up front: a deferred transaction that reads,
    # then writes, fails at once with "database is locked" when another one did the same.
    # Readers begin deferred and never wait for the lock (WAL gives them a snapshot).
    read_only = conn.get_execution_options().get(READ_ONLY)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _writable(path: str) -> bool:
    """Could SQLite open the file (or create it) for writing right now?"""
    return os.access(path if os.path.exists(path) else os.path.dirname(path) or ".", os.W_OK)


def _sqlite_file_guard(engine: Engine, path: str) -> None:
    """SQLite opens a file it cannot write (immutable, read-only mount) read-only for good, and
    keeps failing "attempt to write a readonly database" after the file is writable again:
    such a connection is replaced once it could write, and a write error drops the pool."""

    @event.listens_for(engine, "connect")
    def note_read_only(_dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        record.info[_OPENED_READ_ONLY] = not _writable(path)

    @event.listens_for(engine, "checkout")
    def replace_read_only(_dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry,
                          _proxy: PoolProxiedConnection) -> None:
        if record.info.get(_OPENED_READ_ONLY) and _writable(path):
            raise exc.DisconnectionError("the database file is writable again")

    @event.listens_for(engine, "handle_error")
    def drop_pool_on_write_failure(ctx: ExceptionContext) -> None:
        error = ctx.original_exception
        if isinstance(error, sqlite3.OperationalError) and (
                "readonly database" in str(error) or "disk I/O error" in str(error)):
            ctx.is_disconnect = True


def connect(url: str, create: bool = True) -> Database:
    """Open ``url`` (creating the SQLite file's folder); ``create``: migrate the schema to head."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # 32 prepared statements a connection, not 128: look-ups of thousands of links differ in
        # their parameter count, and 128 of them kept ~4 MB alive in an idle daemon
        engine = create_engine(url, connect_args={"cached_statements": 32})
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            _sqlite_file_guard(engine, parsed.database)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if create:
        from storage.migrate import upgrade

        upgrade(engine)
    return Database(engine=engine, factory=sessionmaker(engine, expire_on_commit=False))
