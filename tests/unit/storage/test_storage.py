"""Storage on SQLite and, when MONITOR_TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from monitor.config.watchlists import load_watchlists
from monitor.dedup.neardup import NearDupIndex
from monitor.matching import Matcher
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries, store_feeds
from monitor.sources.entry import Entry, entry_key, make_entry
from notifiers import Channel, Recipient
from storage import Delivery, Feed, Hit, Story, StorySource, connect
from storage.hits import list_hits
from storage.stories import outlet_stories, stories_by_url
from tests.support.helpers import WATCHLISTS
from tests.support.pgdb import pg_url  # noqa: F401 - fixture


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        database = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    else:
        # A database of its own: other tests (and branches) share the server's "test" one.
        database = connect(request.getfixturevalue("pg_url"))
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watchlists(WATCHLISTS))


def _entry(guid: str, title: str, link: str | None = None, summary: str = "") -> Entry:
    return Entry(entry_key(guid, link, title, summary), guid, link, title, summary, "",
                 datetime(2026, 11, 28, tzinfo=UTC))


RECIPIENTS = [
    Recipient("ice-desk", (Channel("c1", "json://127.0.0.1:9/x"),), ("ICE",)),
    Recipient("all", (Channel("c2", "json://127.0.0.1:9/y"), Channel("c3", "json://127.0.0.1:9/z"))),
]


def _feed(db, url="https://a.example/rss") -> int:
    with db.session() as s:
        feed = Feed(url=url, name=url)
        s.add(feed)
        s.flush()
        return feed.id


def _ingest(db, feed_id, entries, matcher):
    with db.session() as s:
        return store_entries(s, s.get(Feed, feed_id), prepare(entries, matcher), RECIPIENTS)


def test_story_stored_once_and_repoll_is_idempotent(db, matcher):
    feed_id = _feed(db)
    entries = [_entry("1", "ICE agents arrest a farmer", "https://n.example/a?utm_source=x"),
               _entry("2", "Ice storm warning", "https://n.example/b"),
               _entry("1", "ICE agents arrest a farmer (duplicate in same feed)")]
    first = _ingest(db, feed_id, entries, matcher)
    assert (first.new_stories, first.hits, first.deliveries) == (2, 1, 3)
    again = _ingest(db, feed_id, entries, matcher)
    assert (again.new_stories, again.hits, again.deliveries) == (0, 0, 0)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 2
        assert s.scalar(select(func.count()).select_from(Delivery)) == 3
        story = s.scalar(select(Story).where(Story.canonical_url == "https://n.example/a"))
        assert story is not None and story.published_at.tzinfo is not None


def test_same_link_in_two_feeds_is_one_story_with_two_sources(db, matcher):
    a, b = _feed(db, "https://a.example/rss"), _feed(db, "https://b.example/rss")
    _ingest(db, a, [_entry("a-1", "GEO Group wins contract", "http://n.example/geo#top")],
            matcher)
    report = _ingest(db, b, [_entry("b-9", "GEO Group wins contract",
                                    "https://N.example/geo?utm_campaign=z")], matcher)
    assert (report.new_stories, report.new_sources, report.deliveries) == (0, 1, 0)
    with db.session() as s:
        story = s.scalars(select(Story)).one()
        assert len(story.sources) == 2
        assert s.scalar(select(func.count()).select_from(Delivery)) == 2


def test_constraints_refuse_duplicates(db):
    feed_id = _feed(db)
    with db.session() as s:
        story = Story(title="t", canonical_url="https://x.example/1", feed_id=feed_id)
        s.add(story)
        s.add(StorySource(story=story, feed_id=feed_id, entry_key="k"))
        s.add(Hit(story=story, watchlist="ICE", entity="ICE"))
        s.add(Delivery(story=story, subscriber="s", channel="c"))
    for dup in (lambda st: StorySource(story_id=st.id, feed_id=feed_id, entry_key="k"),
                lambda st: Hit(story_id=st.id, watchlist="ICE", entity="ICE"),
                lambda st: Delivery(story_id=st.id, subscriber="s", channel="c"),
                lambda st: Story(title="t2", canonical_url="https://x.example/1")):
        with pytest.raises(IntegrityError), db.session() as s:
            st = s.scalars(select(Story)).first()
            s.add(dup(st))


def test_list_hits_filters(db, matcher):
    feed_id = _feed(db)
    _ingest(db, feed_id, [_entry("1", "ICE detains activist", "https://n.example/1"),
                          _entry("2", "Wayfair sales fall", "https://n.example/2")], matcher)
    with db.session() as s:
        assert {h.entity for h in list_hits(s)} == {"ICE", "Wayfair"}
        assert [h.entity for h in list_hits(s, watchlist="Wayfair")] == ["Wayfair"]
        future = datetime.now(UTC) + timedelta(days=1)
        assert list_hits(s, since=future) == []
        assert list_hits(s, entity="ICE")[0].source == "https://a.example/rss"


WIRE = ("ICE agents detain 40 workers in Houston warehouse raid",
        "Immigration and Customs Enforcement agents detained 40 workers on Tuesday during a raid "
        "on a warehouse in north Houston, federal officials said.")


def test_feeds_stored_together_share_stories_and_keep_their_own_counts(db, matcher):
    """One transaction for several feeds: a shared link, and a near-duplicate that is new in
    the same transaction, each become a source of one story; every feed counts its own."""
    a, b, c = (_feed(db, f"https://{name}.example/rss") for name in "abc")
    with db.session() as s:
        fa, fb, fc = (s.get(Feed, i) for i in (a, b, c))
        report = store_feeds(s, [(feed, prepare(entries, matcher)) for feed, entries in [
            (fa, [make_entry("a1", "https://n.example/raid?utm_source=a", *WIRE, "", None),
                  make_entry("a2", "https://a.example/storm", "Ice storm closes schools",
                             "Snow and ice across the state.", "", None)]),
            (fb, [make_entry("b1", "https://n.example/raid", *WIRE, "", None)]),
            (fc, [make_entry("c1", "https://c.example/copy", WIRE[0] + " - Outlet C",
                             WIRE[1] + " More follows.", "", None)]),
        ]], RECIPIENTS, NearDupIndex())
    assert (report.entries, report.new_stories, report.new_sources) == (4, 2, 2)
    assert report.near_duplicates >= 1
    assert (report.hits, report.deliveries) == (1, 3)
    with db.session() as s:
        story_of = dict(s.execute(select(StorySource.entry_key, StorySource.story_id)).all())
        titles = dict(s.execute(select(Story.id, Story.title)).all())
        seen = {f.url[8]: (f.entries_seen, f.last_new_story_at is not None)
                for f in s.scalars(select(Feed))}
    assert story_of["a1"] == story_of["b1"] == story_of["c1"] != story_of["a2"]
    assert titles[story_of["a2"]] == "Ice storm closes schools"
    assert titles[story_of["a1"]].startswith(WIRE[0])
    assert seen["a"][0] == 2 and seen["b"][0] == 1 and seen["c"][0] == 1
    assert seen["a"][1]  # a brought the storm story, so it has a new story whatever else
    assert not seen["b"][1]  # b only added a source to a story of this transaction


def test_new_story_ids_match_their_rows_after_the_newest_story_was_deleted(db, matcher):
    """Ids of a multi-row insert (numbered by hand on SQLite) point at the right rows."""
    feed = _feed(db)
    _ingest(db, feed, [_entry("1", "First", "https://n.example/1"),
                       _entry("2", "Second", "https://n.example/2")], matcher)
    with db.session() as s:
        s.delete(s.scalar(select(Story).order_by(Story.id.desc()).limit(1)))
    _ingest(db, feed, [_entry("3", "Third", "https://n.example/3"),
                       _entry("4", "Fourth ICE raid", "https://n.example/4")], matcher)
    with db.session() as s:
        pairs = s.execute(select(StorySource.entry_key, Story.title, Story.link)
                          .join(Story, Story.id == StorySource.story_id)).all()
        hit_titles = s.scalars(select(Story.title).join(Hit, Hit.story_id == Story.id)).all()
    assert sorted(pairs) == [("1", "First", "https://n.example/1"),
                             ("3", "Third", "https://n.example/3"),
                             ("4", "Fourth ICE raid", "https://n.example/4")]
    assert hit_titles == ["Fourth ICE raid"]


def test_look_ups_match_whole_values_only(db):
    """A host or link longer than its column never matches a stored one it starts with
    (PostgreSQL binds the values as one array: text[], not varchar(255)[], which would cut)."""
    feed = _feed(db)
    host, link = "h" * 255, "https://long.example/" + "x" * 300
    with db.session() as s:
        s.add(Story(canonical_url=link, title="Long", outlet_host=host, feed_id=feed))
    since = datetime.now(UTC) - timedelta(days=1)
    with db.session() as s:
        assert outlet_stories(s, [host + "h" * 45], [], ["https://news.google.com/"], since) == []
        assert [row[1] for row in outlet_stories(s, [host], [], [], since)] == [host]
        assert stories_by_url(s, [link + "y", link[:-1]]) == {}
        assert list(stories_by_url(s, [link])) == [link]
