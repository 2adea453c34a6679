"""One wire story in five outlets (other URLs, small edits): stored once, five sources, one alert.
Also `monitor feeds` health output and OPML import/export through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import time
import tomllib
from datetime import datetime

from tests.support.helpers import run_cli, write_config

TITLE = "ICE agents detain 40 workers in Houston warehouse raid"
SUMMARY = ("Immigration and Customs Enforcement agents detained 40 workers on Tuesday during a "
           "raid on a warehouse in north Houston, federal officials said, the largest single "
           "workplace operation in Texas this year.")
VARIANTS = [
    (TITLE, SUMMARY),
    (TITLE + " - The Gazette", SUMMARY + " Read more at The Gazette."),
    ("ICE detains 40 workers in Houston warehouse raid",
     SUMMARY.replace("Tuesday", "Tuesday morning")),
    ("Houston: ICE agents detain 40 workers in warehouse raid", "HOUSTON (AP) — " + SUMMARY),
    (TITLE, SUMMARY.replace("federal officials said", "according to federal officials")),
]
OTHER = ("ICE agents detain 12 workers in Dallas restaurant raid",
         "Immigration and Customs Enforcement agents detained 12 workers on Wednesday during a "
         "raid on a restaurant in Dallas, federal officials said.")


def _rss(outlet: int, items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>https://outlet{outlet}.example/{slug}</link>"
                   f"<description>{s}</description></item>" for t, s, slug in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {outlet}</title>'
            f"{body}</channel></rss>").encode()


def _poll(config) -> dict:
    result = run_cli("poll-once", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_wire_story_in_five_outlets_is_one_story_five_sources_one_alert(
        tmp_path, feed_server, webhook):
    urls = []
    for n, (title, summary) in enumerate(VARIANTS):
        items = [(title, summary, f"news/{n}/raid-{n}.html")]
        if n == 2:
            items.append((*OTHER, "dallas"))
        urls.append(feed_server.add(f"/outlet{n}.xml", _rss(n, items)))
    config = write_config(tmp_path, urls, [{"name": "hooks", "notify": [webhook.url]}])
    summary = _poll(config)
    assert summary["feeds_failed"] == 0
    assert summary["new_stories"] == 2
    assert summary["notifications_sent"] == 2
    alerted = sorted(m["title"].split("] ", 1)[1] for m in webhook.received)
    assert alerted[0] == OTHER[0] and alerted[1] in {t for t, _ in VARIANTS}
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        rows = dict(db.execute("SELECT s.title, COUNT(ss.id) FROM stories s JOIN story_sources ss"
                               " ON ss.story_id = s.id GROUP BY s.id").fetchall())
        undated = db.execute("SELECT COUNT(*) FROM stories WHERE published_at IS NULL OR "
                             "published_at != first_seen_at").fetchone()
    assert rows == {alerted[1]: 5, OTHER[0]: 1}
    assert undated == (0,), "feeds without dates fall back to first-seen time"
    again = _poll(config)
    assert again["new_stories"] == 0 and again["notifications_sent"] == 0


def test_copy_of_a_story_from_an_earlier_run_joins_it(tmp_path, feed_server):
    """The index of earlier runs holds only keys; confirming a candidate reads its text in the
    storing transaction (a second SQLite connection would wait for the write lock, then fail)."""
    first = feed_server.add("/first.xml", _rss(0, [(TITLE, SUMMARY, "raid")]))
    second = feed_server.add("/second.xml", _rss(1, [(*OTHER, "dallas")]))
    config = write_config(tmp_path, [first, second])
    assert _poll(config)["new_stories"] == 2
    feed_server.add("/second.xml", _rss(1, [(*OTHER, "dallas"), (*VARIANTS[3], "houston")]))
    started = time.monotonic()
    summary = _poll(config)
    assert time.monotonic() - started < 20
    assert (summary["feeds_failed"], summary["new_stories"]) == (0, 0)
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        sources = db.execute("SELECT COUNT(*) FROM story_sources ss JOIN stories s ON "
                             "s.id = ss.story_id WHERE s.title = ?", (TITLE,)).fetchone()
    assert sources == (2,)


def test_feeds_health_table_and_json(tmp_path, feed_server):
    good = feed_server.add("/rss.xml", _rss(1, [(TITLE, SUMMARY, "a")]))
    gone = feed_server.add("/gone.xml", b"", status=410)
    config = write_config(tmp_path, [good, gone, feed_server.url("/missing.xml")])
    _poll(config)
    out = run_cli("feeds", "--format", "json", "--config", str(config))
    assert out.returncode == 0, out.stderr
    feeds = {f["url"]: f for f in json.loads(out.stdout)}
    assert feeds[good]["state"] == "ok" and feeds[good]["entries_seen"] == 1
    assert feeds[good]["last_new_story_at"] is not None
    assert datetime.fromisoformat(feeds[good]["next_poll_at"]).tzinfo is not None
    assert feeds[gone]["state"] == "disabled" and "410" in feeds[gone]["last_error"]
    assert feeds[feed_server.url("/missing.xml")]["state"] == "failing"
    table = run_cli("feeds", "--config", str(config))
    assert table.returncode == 0 and "disabled" in table.stdout and "next poll" in table.stdout


def test_permanent_redirect_updates_the_stored_url(tmp_path, feed_server):
    target = feed_server.add("/new.xml", _rss(1, [(TITLE, SUMMARY, "a")]))
    old = feed_server.add("/old.xml", b"", status=301, headers={"Location": "/new.xml"})
    config = write_config(tmp_path, [old])
    assert _poll(config)["new_stories"] == 1
    feed_server.routes.pop("/old.xml")
    assert _poll(config)["feeds_failed"] == 0
    assert feed_server.hits("/old.xml") == 1 and feed_server.hits("/new.xml") == 2
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        assert db.execute("SELECT fetch_url FROM feeds").fetchone() == (target,)


OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="News">
    <outline text="Gazette" title="The Gazette" type="rss" xmlUrl="https://gazette.example/rss"/>
    <outline text="Dup" type="rss" xmlUrl="{existing}"/>
  </outline>
  <outline text="Quote &quot;Q&quot;" type="rss" xmlUrl="https://q.example/feed?a=1&amp;b=2"/>
  <outline text="no url"/>
</body></opml>
"""


def test_opml_import_appends_keeping_comments_and_export_round_trips(tmp_path):
    existing = "https://existing.example/rss"
    config = write_config(tmp_path, [existing])
    config.write_text("# my precious comment\n" + config.read_text())
    opml = tmp_path / "in.opml"
    opml.write_text(OPML.format(existing=existing))
    out = run_cli("feeds", "import-opml", str(opml), "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "2 feed(s) added" in out.stdout
    text = config.read_text()
    assert text.startswith("# my precious comment\n")
    feeds = tomllib.loads(text)["feeds"]
    assert [f["url"] for f in feeds] == [existing, "https://gazette.example/rss",
                                         "https://q.example/feed?a=1&b=2"]
    assert feeds[1]["name"] == "The Gazette" and feeds[2]["name"] == 'Quote "Q"'
    assert run_cli("check", "--config", str(config)).returncode == 0
    again = run_cli("feeds", "import-opml", str(opml), "--config", str(config))
    assert "0 feed(s) added" in again.stdout and config.read_text() == text

    exported = tmp_path / "out.opml"
    out = run_cli("feeds", "export-opml", "--output", str(exported), "--config", str(config))
    assert out.returncode == 0, out.stderr
    (tmp_path / "x").mkdir()
    fresh = write_config(tmp_path / "x", [])
    run_cli("feeds", "import-opml", str(exported), "--config", str(fresh))
    round_trip = tomllib.loads(fresh.read_text())["feeds"]
    assert [f["url"] for f in round_trip] == [f["url"] for f in feeds]
    stdout = run_cli("feeds", "export-opml", "--config", str(config)).stdout
    assert stdout.startswith("<?xml") and "gazette.example" in stdout


def test_opml_import_refuses_garbage(tmp_path):
    config = write_config(tmp_path, [])
    before = config.read_text()
    bad = tmp_path / "bad.opml"
    bad.write_text("<html><body>nope</body></html>")
    out = run_cli("feeds", "import-opml", str(bad), "--config", str(config))
    assert out.returncode == 2 and "not <opml>" in out.stderr
    assert config.read_text() == before
