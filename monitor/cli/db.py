"""``monitor db``: upgrade the schema, show its revision, prune old stories."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from monitor.cli.common import EXIT_FAILED, EXIT_INVALID, Commands, config_path

if TYPE_CHECKING:
    from monitor.config import Config
    from storage import Database


def register(commands: Commands) -> None:
    """Add ``db upgrade``, ``db current`` and ``db prune [--days N]``."""
    db = commands.add("db", "database schema and housekeeping: upgrade, current, prune")
    actions = commands.nested(db, dest="db_command", required=True)
    actions.add("upgrade", "migrate the schema to this version", cmd_upgrade)
    actions.add("current", "show the schema revision (exit 1 if behind)", cmd_current)
    prune = actions.add("prune", "delete stories older than retention_days", cmd_prune)
    prune.add_argument("--days", type=int, help="override [storage] retention_days")


@contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[Config, Database]]:
    """The config and its database; ``db`` needs only the config's [storage] section."""
    from monitor.config import load_config
    from storage import connect

    config = load_config(config_path(args))
    db = connect(config.storage_url, create=False)
    try:
        yield config, db
    finally:
        db.dispose()


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Migrate to this version's head and say from where."""
    from storage.migrate import upgrade

    with database(args) as (_config, db):
        before, after = upgrade(db.engine)
    print(f"schema upgraded from {before or 'nothing'} to {after}" if before != after
          else f"schema already at {after} (head)")
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    """Print the revision; exit 1 when it is behind this version."""
    from storage.migrate import current, head

    with database(args) as (_config, db):
        rev, expected = current(db.engine), head()
    if rev == expected:
        print(f"{rev} (head)")
        return 0
    print(f"{rev or 'none'} (this monitor needs {expected}: run `monitor db upgrade`)")
    return EXIT_FAILED


def cmd_prune(args: argparse.Namespace) -> int:
    """Delete stories first seen more than ``--days`` (else retention_days) ago."""
    from storage.migrate import ensure_schema
    from storage.models import utcnow
    from storage.stories import prune

    with database(args) as (config, db):
        days = args.days if args.days is not None else config.retention_days
        if not days or days < 1:
            print("no retention: set [storage] retention_days or pass --days N", file=sys.stderr)
            return EXIT_INVALID
        ensure_schema(db.engine, auto_upgrade=db.engine.dialect.name == "sqlite")
        removed = prune(db, utcnow() - timedelta(days=days))
    print(f"pruned {removed} stories first seen more than {days} days ago")
    return 0
