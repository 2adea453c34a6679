"""Sources record their kind and parameters: databases from before migration 0005 upgrade in
place, their feeds becoming sources of the feed kind with every row kept."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from storage import Base
from storage.migrate import alembic_config, head, upgrade
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures


def _diffs(engine) -> list:
    """How the database's schema differs from the models'."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def _upgrade_to(engine, revision: str) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def test_feeds_become_feed_sources_in_place(any_url):  # noqa: F811
    engine = create_engine(any_url)
    _upgrade_to(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO feeds (id, url, name, interval_s, state, error_count, next_poll_at,"
            " entries_seen, created_at) VALUES (7, 'https://a.example/rss', 'a', 900, 'ok', 0,"
            " '2026-11-01 00:00:00+00', 3, '2026-11-01 00:00:00+00')"))
        conn.execute(text(
            "INSERT INTO stories (id, title, summary, first_seen_at, feed_id) VALUES"
            " (1, 't', 's', '2026-11-01 00:00:00+00', 7)"))
        conn.execute(text(
            "INSERT INTO story_sources (story_id, feed_id, entry_key, seen_at) VALUES"
            " (1, 7, 'guid-1', '2026-11-01 00:00:00+00')"))
    assert upgrade(engine) == ("0004", head())
    assert _diffs(engine) == []
    with engine.connect() as conn:
        feed = conn.execute(text("SELECT url, kind, params, entries_seen FROM feeds")).one()
        kept = conn.execute(text("SELECT feed_id, entry_key FROM story_sources")).all()
    assert tuple(feed) == ("https://a.example/rss", "feed", "{}", 3)
    assert [tuple(r) for r in kept] == [(7, "guid-1")]
    engine.dispose()
