"""Rows written by storage.bulk (sqlite3's executemany, PostgreSQL's COPY) read back exactly as
Core-inserted ones; a unique violation is SQLAlchemy's IntegrityError on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from storage import Feed, Story, StorySource
from storage.bulk import bulk_insert
from storage.upsert import table_of


def _rows(feed_id: int, first: int) -> list[dict]:
    paris = timezone(timedelta(hours=1))
    return [{"id": first + i, "canonical_url": f"https://x.example/{first + i}",
             "link": None if i % 2 else f"https://x.example/{first + i}?a=1",
             "title": f"t{i} ‘quoted’ é", "summary": "",
             "published_at": (datetime(2026, 11, 28, 12, 30, 15, 123456, tzinfo=paris)
                              if i % 2 else None),
             "first_seen_at": datetime(2026, 11, 29, 8, 0, tzinfo=UTC) + timedelta(seconds=i),
             "feed_id": feed_id} for i in range(3)]


def test_bulk_rows_equal_core_rows(db):
    with db.session() as s:
        feed = Feed(url="https://a.example/rss", name="a")
        s.add(feed)
        s.flush()
        table = table_of(Story)
        s.execute(insert(table), _rows(feed.id, 1))
        assert bulk_insert(s, table, _rows(feed.id, 11))
    with db.session() as s:
        raw = s.execute(text("SELECT id, canonical_url, link, title, summary, published_at, "
                             "first_seen_at, feed_id FROM stories ORDER BY id")).all()
        stories = s.scalars(select(Story).order_by(Story.id)).all()
    core, bulk = raw[:3], raw[3:]
    assert len(bulk) == 3
    for a, b in zip(core, bulk, strict=True):
        assert a[0] + 10 == b[0]
        assert a[1].replace(f"/{a[0]}", f"/{b[0]}") == b[1]
        assert a[3:] == b[3:]  # datetimes stored in the same form as Core stores them
    assert stories[4].published_at == datetime(2026, 11, 28, 11, 30, 15, 123456, tzinfo=UTC)


def test_bulk_fills_scalar_defaults_and_raises_integrity_errors(db):
    with db.session() as s:
        feed = Feed(url="https://a.example/rss", name="a")
        s.add(feed)
        s.flush()
        story = {k: v for k, v in _rows(feed.id, 1)[0].items() if k not in ("title", "summary")}
        bulk_insert(s, table_of(Story), [story])
        assert s.execute(text("SELECT title, summary FROM stories")).one() == ("", "")
        row = {"story_id": 1, "feed_id": feed.id, "entry_key": "k", "link": None,
               "seen_at": datetime(2026, 11, 29, tzinfo=UTC)}
        assert bulk_insert(s, table_of(StorySource), [row])
        assert not bulk_insert(s, table_of(StorySource), [{"story_id": 1, "feed_id": feed.id,
                                                           "entry_key": "k2"}])  # seen_at: utcnow
    with pytest.raises(IntegrityError), db.session() as s:
        bulk_insert(s, table_of(StorySource), [row])



def test_a_value_postgresql_cannot_store_is_a_data_error_there(db):
    """The store skips such an entry alone (storage.stories.unstorable): COPY must raise it
    as the INSERT it replaced did, not as a bare driver error."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores NUL characters")
    from sqlalchemy.exc import DataError

    from storage.stories import unstorable

    with db.session() as s:
        feed = Feed(url="https://a.example/rss", name="a")
        s.add(feed)
        s.flush()
        row = dict(_rows(feed.id, 1)[0], title="nul \x00 inside")
        with pytest.raises(DataError) as raised, s.begin_nested():
            bulk_insert(s, table_of(Story), [row])
        assert unstorable(raised.value)
