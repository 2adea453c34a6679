"""One story in its outlet's own feed, Google News, Bing News and a Google Alert: stored once,
alerted once, linked to and named after the outlet (never "Google News")."""

from __future__ import annotations

import json
import sqlite3
from html import escape

from tests.support.helpers import run_cli, write_config

TITLE = "ICE agents detain 40 workers in Houston warehouse raid"
SUMMARY = ("Immigration and Customs Enforcement agents detained 40 workers on Tuesday during a "
           "raid on a warehouse in north Houston, federal officials said.")
OUTLET, SITE = "The Houston Gazette", "https://www.houstongazette.example"
ARTICLE = f"{SITE}/2026/11/30/ice-warehouse-raid.html"
# a current Google News id: encrypted ("AU_yqL…"), so only Google can resolve it
GOOGLE_LINK = ("https://news.google.com/rss/articles/CBMiigFBVV95cUxNZ2VhQkRfa0x0c2xqR3U3WXdl"
               "RkNnUjRxbzNCMHpKdHlKTmVGd0JhT3N3?oc=5")


def _outlet_feed() -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{OUTLET}</title>'
            f"<link>{SITE}/</link><item><title>{TITLE}</title><link>{ARTICLE}?utm_source=rss"
            f"</link><description>{SUMMARY}</description>"
            "<pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>").encode()


def _google_news() -> bytes:
    """As news.google.com/rss/search answers: "Headline - Outlet", an opaque link, the
    description an <a> and the outlet in a <font>, the outlet again in <source url>."""
    description = escape(f'<a href="{GOOGLE_LINK}" target="_blank">{TITLE}</a>&nbsp;&nbsp;'
                         f'<font color="#6f6f6f">{OUTLET}</font>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel><generator>NFE/5.0'
            '</generator><title>"ICE" - Google News</title><link>https://news.google.com/'
            'search?q=ICE&amp;hl=en-US&amp;gl=US&amp;ceid=US:en</link><language>en-US</language>'
            "<description>Google News</description>"
            f"<item><title>{TITLE} - {OUTLET}</title><link>{escape(GOOGLE_LINK)}</link>"
            '<guid isPermaLink="false">CBMiigFBVV95cUxNZ2VhQkRfa0x0c2xqR3U3WXdlRkNnUjRxbzNCMHpKdH'
            "lKTmVGd0JhT3N3</guid><pubDate>Mon, 30 Nov 2026 09:05:00 GMT</pubDate>"
            f'<description>{description}</description><source url="{SITE}">{OUTLET}</source>'
            "</item></channel></rss>").encode()


def _bing_news() -> bytes:
    """As www.bing.com/news/search?format=RSS answers: apiclick links, the outlet in
    News:Source."""
    wrapped = ("http://www.bing.com/news/apiclick.aspx?ref=FexRss&amp;aid=&amp;tid=6F1B2C"
               "&amp;url=" + ARTICLE.replace(":", "%3a").replace("/", "%2f")
               + "&amp;c=1234567890&amp;mkt=en-us")
    return ('<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" xmlns:News='
            '"https://www.bing.com:443/news/search?q=ICE&amp;format=rss"><channel>'
            "<title>ICE - BingNews</title><link>https://www.bing.com:443/news/search?q=ICE"
            "&amp;format=rss</link><description>Search results</description>"
            f"<item><title>{TITLE}</title><link>{wrapped}</link><description>{SUMMARY[:120]}"
            "...</description><pubDate>Mon, 30 Nov 2026 09:10:00 GMT</pubDate>"
            f"<News:Source>{OUTLET}</News:Source></item></channel></rss>").encode()


def _google_alert() -> bytes:
    """As a Google Alerts feed answers: Atom, google.com/url wrappers, <b> in titles."""
    bold = escape(TITLE.replace("ICE", "<b>ICE</b>"))
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:idx="urn:atom-extension:indexing"><id>tag:google.com,2005:reader/user/1/'
            "state/com.google/alerts/2</id><title>Google Alert - ICE</title><link href="
            '"https://www.google.com/alerts/feeds/1/2" rel="self"></link>'
            "<updated>2026-11-30T09:20:00Z</updated><entry><id>tag:google.com,2013:googlealerts"
            f'/feed:1</id><title type="html">{bold}</title><link href="https://www.google.com/'
            f"url?rct=j&amp;sa=t&amp;url={ARTICLE}&amp;ct=ga&amp;cd=CAIyHGU4&amp;usg=AFQjCNH\">"
            "</link><published>2026-11-30T09:20:00Z</published><updated>2026-11-30T09:20:00Z"
            f'</updated><content type="html">{escape(SUMMARY)}</content><author><name></name>'
            "</author></entry></feed>").encode()


def _poll(config) -> dict:
    result = run_cli("poll-once", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _stories(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        return db.execute("SELECT s.link, s.outlet, COUNT(ss.id) FROM stories s JOIN "
                          "story_sources ss ON ss.story_id = s.id GROUP BY s.id").fetchall()


def _serve(feed_server) -> dict[str, str]:
    return {
        "outlet": feed_server.add("/outlet.xml", _outlet_feed()),
        "google": feed_server.add("/rss/search?q=ICE&hl=en-US&gl=US&ceid=US:en", _google_news()),
        "bing": feed_server.add("/news/search?q=ICE&format=RSS&setmkt=en-US", _bing_news()),
        "alert": feed_server.add("/alerts/feeds/1/2", _google_alert()),
    }


def test_one_story_from_four_routes_is_stored_once_alerted_once(tmp_path, feed_server,
                                                                  webhook):
    urls = _serve(feed_server)
    config = write_config(tmp_path, list(urls.values()),
                          [{"name": "hooks", "notify": [webhook.url]}])
    summary = _poll(config)
    assert summary["feeds_failed"] == 0
    assert summary["new_stories"] == 1
    assert summary["notifications_sent"] == 1
    assert _stories(tmp_path) == [(ARTICLE, OUTLET, 4)]
    (message,) = webhook.received
    text = json.dumps(message)
    assert OUTLET in text and "Google News" not in text and "news.google.com" not in text


def test_google_news_first_then_the_outlet_moves_the_story_to_the_outlets_link(
        tmp_path, feed_server, webhook):
    urls = _serve(feed_server)
    config = write_config(tmp_path, [urls["google"]],
                          [{"name": "hooks", "notify": [webhook.url]}])
    assert _poll(config)["new_stories"] == 1
    assert _stories(tmp_path) == [(GOOGLE_LINK, OUTLET, 1)]
    (message,) = webhook.received
    text = json.dumps(message)
    assert OUTLET in text and TITLE in text and f"{TITLE} - {OUTLET}" not in text
    assert "Google News" not in text
    config = write_config(tmp_path, list(urls.values()),
                          [{"name": "hooks", "notify": [webhook.url]}])
    again = _poll(config)
    assert again["new_stories"] == 0 and again["notifications_sent"] == 0
    assert _stories(tmp_path) == [(ARTICLE, OUTLET, 4)]
    hits = run_cli("hits", "--format", "json", "--config", str(config))
    assert hits.returncode == 0, hits.stderr
    hit = json.loads(hits.stdout)[0]
    assert hit["source"] == OUTLET and hit["link"] == ARTICLE
    # the alert names the publisher's domain: all a Google Alert gives
    assert {s["name"] for s in hit["sources"]} == {OUTLET, "houstongazette.example"}
