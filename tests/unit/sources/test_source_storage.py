"""Sources record their kind and parameters: databases from before migration 0005 upgrade in
place, their feeds becoming sources of the feed kind with every row kept."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from storage.migrate import head, upgrade
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.schema import schema_diffs, upgrade_to


def test_feeds_become_feed_sources_in_place(any_url):  # noqa: F811
    engine = create_engine(any_url)
    upgrade_to(engine, "0004")
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
    assert schema_diffs(engine) == []
    with engine.connect() as conn:
        feed = conn.execute(text("SELECT url, kind, params, entries_seen FROM feeds")).one()
        kept = conn.execute(text("SELECT feed_id, entry_key FROM story_sources")).all()
    assert tuple(feed) == ("https://a.example/rss", "feed", "{}", 3)
    assert [tuple(r) for r in kept] == [(7, "guid-1")]
    engine.dispose()
