"""``monitor db``: upgrade the schema, show its revision, prune old stories."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

from monitor.config import load_config, resolve_config_path
from storage import connect
from storage.migrate import current, ensure_schema, head, upgrade
from storage.models import utcnow
from storage.stories import prune

log = logging.getLogger(__name__)


def run_db_command(args) -> int:
    """Dispatch ``monitor db ACTION``; only the config's [storage] section is needed."""
    config = load_config(resolve_config_path(args.config))
    db = connect(config.storage_url, create=False)
    try:
        if args.db_command == "upgrade":
            before, after = upgrade(db.engine)
            print(f"schema upgraded from {before or 'nothing'} to {after}" if before != after
                  else f"schema already at {after} (head)")
            return 0
        if args.db_command == "current":
            rev, expected = current(db.engine), head()
            if rev == expected:
                print(f"{rev} (head)")
                return 0
            print(f"{rev or 'none'} (this monitor needs {expected}: run `monitor db upgrade`)")
            return 1
        days = args.days if args.days is not None else config.retention_days
        if not days or days < 1:
            print("no retention: set [storage] retention_days or pass --days N", file=sys.stderr)
            return 2
        ensure_schema(db.engine, auto_upgrade=db.engine.dialect.name == "sqlite")
        removed = prune(db, utcnow() - timedelta(days=days))
        print(f"pruned {removed} stories first seen more than {days} days ago")
        return 0
    finally:
        db.dispose()
