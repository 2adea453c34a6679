"""Alembic environment: runs on the connection ``storage.migrate`` hands over (or a URL)."""

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base, UTCDateTime

config = context.config


def render_item(type_, obj, autogen_context):
    """Write UTCDateTime as a plain timezone-aware DateTime so revisions import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
