"""Full text (issue 15 §1) end to end: a feed of headlines whose article pages hold the watched
names deep in their bodies, through the real CLI, a loopback news site and a webhook."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest

from tests.support.articles import ArticleServer
from tests.support.helpers import run_cli, write_config
from tests.support.servers import WebhookReceiver

ROBOTS = "User-agent: *\nDisallow: /private/\n"
FILLER = ("The council met on Tuesday evening to discuss the budget for the coming year, "
          "and members debated road repairs, library hours and the parks programme at length.")
DEEP = ("Records obtained by the paper show the county signed a new agreement with the GEO "
        "Group to run the detention centre on the edge of town for another five years.")


def article(title: str, deep: str | None = None, sidebar: str = "") -> bytes:
    """A news page: navigation, an article of ten paragraphs (``deep`` the ninth), a sidebar."""
    paragraphs = [FILLER] * 10
    if deep:
        paragraphs[8] = deep
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang=en><head><title>{title}</title>"
            f'<meta name="author" content="Dana Reporter">'
            f'<meta property="article:published_time" content="2026-11-29T08:00:00Z">'
            f"</head><body><nav><a href=/>Home</a> <a href=/news>News</a></nav>"
            f"<main><article><h1>{title}</h1>{body}</article></main>"
            f"<aside><h2>Most read</h2><ul>{sidebar}</ul></aside>"
            f"<footer>© Loopback Herald</footer></body></html>").encode()


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS feed of (title, link, description) items."""
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
                   f"<description>{d}</description>"
                   f"<pubDate>Sun, 29 Nov 2026 08:00:00 GMT</pubDate></item>"
                   for t, link, d in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Herald</title>'
            f"<link>http://herald.example/</link><description>d</description>{body}"
            f"</channel></rss>").encode()


@pytest.fixture
def site() -> Iterator[ArticleServer]:
    server = ArticleServer(robots=ROBOTS).start()
    yield server
    server.stop()


def _poll(config) -> dict:
    result = run_cli("poll-once", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_headline_items_are_alerted_once_from_the_paragraph_deep_in_the_page(
        tmp_path, site, webhook):
    long_summary = " ".join(["word"] * 120) + " CoreCivic"
    site.add("/deep", article("County budget meeting", DEEP))
    site.add("/plain", article("Library hours", sidebar="<li><a href=/x>ICE raids: what "
                                                        "we know</a></li>"))
    site.add("/private/deep", article("Hidden", DEEP))
    site.add("/long", article("Long", DEEP))
    feed = site.add("/feed.xml", rss([
        ("County budget meeting", site.url("/deep"), ""),
        ("Library hours", site.url("/plain"), ""),
        ("Hidden", site.url("/private/deep"), ""),
        ("Long", site.url("/long"), long_summary),
    ]), headers={"Content-Type": "application/rss+xml"})
    config = write_config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url]}],
                          storage_url=f"sqlite:///{tmp_path / 'm.db'}")

    first = _poll(config)
    assert first["new_stories"] == 4 and first["pages_read"] == 2
    assert first["pages_failed"] == 1  # robots.txt: never asked
    assert "/private/deep" not in site.asked and "/long" not in site.asked  # 120 words: no page
    deep = [m for m in webhook.received if "County budget" in m["title"]]
    assert len(deep) == 1 and "GEO Group" in deep[0]["title"]
    assert "signed a new agreement" in deep[0]["message"]
    assert "for another five years" in deep[0]["message"]
    assert not [m for m in webhook.received if "Library" in m["title"] or "Hidden" in m["title"]]
    assert len(webhook.received) == 2  # the long item alerted from its own summary

    second = _poll(config)
    assert second["new_stories"] == 0 and second["pages_read"] == 0
    assert site.asked.count("/deep") == 1 and len(webhook.received) == 2
    with sqlite3.connect(tmp_path / "m.db") as db:
        rows = dict(db.execute("select url, state from story_pages").fetchall())
        hit = db.execute("select field, context from hits join stories s on s.id = story_id "
                         "where s.title = 'County budget meeting'").fetchone()
    assert rows == {site.url("/deep"): "done", site.url("/plain"): "done",
                    site.url("/private/deep"): "skipped"}
    assert hit[0] == "body" and hit[1] == DEEP


def test_a_failing_page_holds_nothing_back_and_is_retried_later(tmp_path, site, webhook):
    site.add("/flaky", b"busy", status=503)
    feed = site.add("/feed.xml", rss([
        ("CoreCivic contract renewed", site.url("/flaky"), ""),
        ("Evening news", site.url("/later"), ""),
    ]), headers={"Content-Type": "application/rss+xml"})
    config = write_config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url]}],
                          storage_url=f"sqlite:///{tmp_path / 'm.db'}")

    first = _poll(config)
    assert first["new_stories"] == 2 and first["pages_failed"] == 2
    assert [m["title"] for m in webhook.received] == ["[CoreCivic] CoreCivic contract renewed"]
    with sqlite3.connect(tmp_path / "m.db") as db:
        assert db.execute("select count(*) from story_pages where state = 'pending' "
                          "and next_attempt_at > datetime('now')").fetchone() == (2,)
        # time passes: the retry falls due
        db.execute("update story_pages set next_attempt_at = '2000-01-01 00:00:00'")

    site.add("/flaky", article("CoreCivic contract renewed", DEEP))
    site.add("/later", article("Evening news", DEEP))
    second = _poll(config)
    assert second["pages_read"] == 2 and second["new_stories"] == 0
    titles = sorted(m["title"] for m in webhook.received)
    # the renewal story was alerted already: its body hit is stored, not alerted again
    assert titles == ["[CoreCivic] CoreCivic contract renewed", "[GEO Group] Evening news"]



def test_a_body_hit_is_alerted_only_where_query_and_languages_admit_it(tmp_path, site, webhook):
    """A page read after the story was stored is routed as the story's own text would be: a
    subscriber's languages and query (which sees the page text too) still decide."""
    site.add("/deep", article("County budget meeting", DEEP))
    feed = site.add("/feed.xml", rss([("County budget meeting", site.url("/deep"), "")]),
                    headers={"Content-Type": "application/rss+xml"})
    spanish, no_county = WebhookReceiver().start(), WebhookReceiver().start()
    try:
        config = write_config(tmp_path, [feed], [
            {"name": "everyone", "notify": [webhook.url]},
            {"name": "spanish-only", "notify": [spanish.url]},
            {"name": "no-county", "notify": [no_county.url]}])
        text = config.read_text().replace(
            'name = "spanish-only"', 'name = "spanish-only"\nlanguages = ["es"]').replace(
            'name = "no-county"', 'name = "no-county"\nquery = \'GEO AND NOT county\'')
        config.write_text(text)
        _poll(config)
        assert [m["title"] for m in webhook.received] == ["[GEO Group] County budget meeting"]
        assert spanish.received == [] and no_county.received == []
    finally:
        spanish.stop()
        no_county.stop()
