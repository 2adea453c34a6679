"""Parsing never raises: hostile links, JSON Feed, relative links, missing dates."""

from __future__ import annotations

import json

from monitor.dedup.canonical import canonical_url
from monitor.sources.entry import entry_key
from monitor.sources.feed.parser import parse_feed

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Bad port</title><link>http://a.example:abc/x</link><guid>g1</guid></item>
<item><title>Relative</title><link>/2026/story</link><guid>g2</guid></item>
<item><title>&lt;b&gt;Bold&lt;/b&gt; title</title>
<description>&lt;p&gt;Hello&lt;script&gt;x()&lt;/script&gt; world&lt;/p&gt;</description></item>
</channel></rss>"""


def test_hostile_links_do_not_lose_the_feed():
    parsed = parse_feed(RSS, "https://feeds.example/rss.xml")
    assert parsed.error is None
    titles = [e.title for e in parsed.entries]
    assert titles == ["Bad port", "Relative", "Bold title"]
    assert parsed.entries[1].link == "https://feeds.example/2026/story"
    assert parsed.entries[2].summary == "Hello world"
    assert canonical_url(parsed.entries[0].link) is None


def test_json_feed():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J",
           "items": [{"id": 7, "url": "/a", "title": "ICE raid", "content_html": "<p>Text</p>",
                      "date_published": "2026-11-28T10:00:00+01:00"},
                     {"id": "bad", "url": "http://[x/", "title": "Broken link"}, "junk"]}
    parsed = parse_feed(json.dumps(doc).encode(), "https://j.example/feed.json",
                        {"Content-Type": "application/feed+json"})
    assert [e.title for e in parsed.entries] == ["ICE raid", "Broken link"]
    first = parsed.entries[0]
    assert first.link == "https://j.example/a" and first.summary == "Text"
    assert first.published.isoformat() == "2026-11-28T09:00:00+00:00"
    assert parsed.entries[1].link is None


def test_not_a_feed_is_an_error_not_an_exception():
    assert parse_feed(b"<html><body>hi</body></html>", "https://x.example/").error
    assert parse_feed(b"", "https://x.example/").error
    assert parse_feed(b"{not json", "https://x.example/").error
    assert parse_feed(b"\xff\xfe\x00garbage\x80", "https://x.example/").entries == []


def test_entry_keys_stay_short():
    assert entry_key("g" * 5000, None, "", "").startswith("sha1:")
    assert entry_key(None, "https://x.example/a", "", "") == "https://x.example/a"
    assert entry_key(None, None, "t", "s") == entry_key(None, None, "t", "s")


def test_canonical_url():
    assert canonical_url("http://News.Example/a/?utm_source=x&b=2&a=1#frag") == \
        "https://news.example/a/?a=1&b=2"
    assert canonical_url("https://x.example/p?fbclid=abc") == "https://x.example/p"
    assert canonical_url("ftp://x.example/") is None
    assert canonical_url("https://x.example/" + "a" * 3000) is None
