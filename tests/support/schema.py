"""Schema helpers for migration tests: how a database differs from the models, and stepping
it to one revision."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from storage import Base
from storage.migrate import alembic_config


def schema_diffs(engine: Engine) -> list:
    """How the database's schema differs from the models' (empty when they agree)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def upgrade_to(engine: Engine, revision: str) -> None:
    """Migrate the database to ``revision`` (not necessarily head)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
