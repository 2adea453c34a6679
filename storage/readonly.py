"""The read-only engine option, shared by ``storage.db`` and ``storage.migrate`` (no cycle)."""

from __future__ import annotations

from sqlalchemy import Engine

READ_ONLY = "monitor_read_only"  # execution option of the engine behind ``Database.read()``


def reading(engine: Engine) -> Engine:
    """The same engine for reads only: on SQLite its transactions begin deferred, so they
    never wait for (or take) the write lock."""
    return engine.execution_options(**{READ_ONLY: True})
