"""Schema migrations (Alembic): upgrade, current revision, and the check run before starting."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from storage.errors import SchemaOutdated
from storage.models import Base
from storage.readonly import reading

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema the foundation created with create_all, before Alembic
_LOCK_KEY = 7_291_406  # pg_advisory_xact_lock key: one migrator at a time


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The revision this code expects."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise SchemaOutdated("the packaged migrations have no head revision")
    return revision


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current(engine: Engine) -> str | None:
    """The database's revision; None when it was never migrated (empty or pre-Alembic)."""
    with reading(engine).connect() as conn:
        return _current(conn)


def _has_tables(conn: Connection) -> bool:
    return inspect(conn).has_table("feeds")


def schema_diffs(conn: Connection) -> list[Any]:
    """Differences between the database and the models (tables of other apps ignored)."""
    diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                             Base.metadata)
    return [d for d in diffs if not (isinstance(d, tuple) and d[0] == "remove_table")]


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head under a lock; return (revision before, revision after)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        cfg = alembic_config(conn)
        before = _current(conn)
        if before is None and _has_tables(conn):
            # Created by create_all before migrations existed: stamp what it matches.
            command.stamp(cfg, "head" if not schema_diffs(conn) else BASELINE)
        command.upgrade(cfg, "head")
        return before, _current(conn) or head()


def ensure_schema(engine: Engine, auto_upgrade: bool) -> None:
    """Upgrade (SQLite, or an empty database) or refuse a schema older or newer than the code."""
    with reading(engine).connect() as conn:
        rev, empty = _current(conn), not _has_tables(conn)
    expected = head()
    if rev == expected:
        return
    if auto_upgrade or (rev is None and empty):
        upgrade(engine)
        return
    script = ScriptDirectory.from_config(alembic_config())
    try:
        known = rev is None or script.get_revision(rev) is not None
    except CommandError:
        known = False
    if not known:
        raise SchemaOutdated(f"database schema is at revision {rev}, newer than this monitor "
                             f"({expected}): upgrade monitor on this machine")
    raise SchemaOutdated(f"database schema is at revision {rev or 'none (pre-migrations)'}, "
                         f"this monitor needs {expected}: run `monitor db upgrade`")


def _revision(message: str) -> None:
    """Autogenerate the next revision by diffing the models against a scratch SQLite at head."""
    script = ScriptDirectory.from_config(alembic_config())
    rev_id = f"{len(list(script.walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/scratch.db")
        upgrade(engine)
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message=message, autogenerate=True,
                             rev_id=rev_id)
        engine.dispose()


def main() -> None:
    """``python -m storage.migrate revision -m MSG``: for developers adding a column."""
    p = argparse.ArgumentParser(prog="python -m storage.migrate")
    p.add_argument("action", choices=["revision"])
    p.add_argument("-m", "--message", required=True)
    _revision(p.parse_args().message)


if __name__ == "__main__":
    main()
