"""Links as aggregators give them: wrapped links unwrapped offline, Google News decorations off."""

from __future__ import annotations

import base64

import pytest

from monitor.dedup.aggregators import google_news_target, is_opaque, unwrap, without_outlet
from monitor.sources.feed.parser import parse_feed
from tests.support.corpus import CORPUS

ALERTS = CORPUS / "real-feeds" / "feedjira" / "google_alerts_atom.xml"


def _old_google_news_id(url: str) -> str:
    raw = b"\x08\x13\x22" + bytes([len(url)]) + url.encode() + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(("wrapped", "target"), [
    ("https://www.google.com/url?rct=j&sa=t&url=https://news.example/a%3Fid%3D1&ct=ga"
     "&cd=CAIyHGU4&usg=AFQjCNH", "https://news.example/a?id=1"),
    ("https://www.google.com/url?q=https://news.example/b&sa=D", "https://news.example/b"),
    ("http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=6F1&url=https%3a%2f%2fwww"
     ".outlet.example%2f2026%2f11%2fraid.html&c=1234&mkt=en-us",
     "https://www.outlet.example/2026/11/raid.html"),
    ("https://news.google.com/news/url?sa=t&fd=R&ct2=us&usg=AFQ&clid=c3a7&url=https://o.example/x",
     "https://o.example/x"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fo.example%2Fy&h=AT0", "https://o.example/y"),
    ("https://www.google.com/url?url=http://www.bing.com/news/apiclick.aspx%3Furl%3D"
     "https%253a%252f%252fo.example%252fz%26c%3D1", "https://o.example/z"),
    ("https://news.google.com/rss/articles/" + _old_google_news_id("https://o.example/old")
     + "?oc=5", "https://o.example/old"),
])
def test_wrapped_links_give_the_publishers(wrapped, target):
    assert unwrap(wrapped) == target


@pytest.mark.parametrize("link", [
    "https://t.co/AbCdEf123",
    "https://news.google.com/rss/articles/CBMiK0FVX3lxTE1hYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx"
    "MjM0NTY3ODk?oc=5",
    "https://www.google.com/url?url=javascript:alert(1)",
    "https://www.google.com/search?q=https://o.example/",
    "https://outlet.example/story?url=https://other.example/",
])
def test_opaque_or_unknown_links_stay(link):
    assert unwrap(link) == link


def test_new_google_news_ids_are_opaque():
    assert google_news_target("/rss/articles/CBMiK0FVX3lxTE1hYmNkZWY") is None
    assert is_opaque("https://news.google.com/rss/articles/CBMiK0FVX3lxTE1hYmNkZWY?oc=5")
    assert not is_opaque("https://www.outlet.example/a")


def test_google_news_title_and_description_lose_the_outlet():
    assert without_outlet("ICE raids a farm - The Outlet", "ICE raids a farm  The Outlet",
                          "The Outlet") == ("ICE raids a farm", "")
    assert without_outlet("A - B - C", "", "Other") == ("A - B - C", "")
    assert without_outlet("Keeps", "A real summary", "Keeps") == ("Keeps", "A real summary")


@pytest.mark.skipif(not ALERTS.is_file(), reason=f"shared corpus absent: {ALERTS}")
def test_a_real_google_alerts_feed_is_stored_under_the_publishers_links():
    parsed = parse_feed(ALERTS.read_bytes(), "https://www.google.com/alerts/feeds/1/2")
    assert parsed.entries
    for e in parsed.entries:
        assert not e.link.startswith("https://www.google.com/"), e.link
        assert "<b>" not in e.title and "&lt;" not in e.title
        assert e.key.startswith("tag:google.com")
    assert parsed.entries[1].link == "https://investorplace.com/2019/07/slack-stock-truly-compelling/"
    assert parsed.entries[1].title.startswith("Slack Stock Has")


BING = b"""<?xml version="1.0" encoding="utf-8" ?><rss version="2.0"
 xmlns:News="https://www.bing.com:443/news/search?q=ICE+detention&amp;format=rss">
<channel><title>ICE detention - BingNews</title>
<link>https://www.bing.com:443/news/search?q=ICE+detention&amp;format=rss</link>
<description>Search results</description>
<item><title>Detention centre opens</title>
<link>http://www.bing.com/news/apiclick.aspx?ref=FexRss&amp;aid=&amp;tid=6F1B&amp;url=https%3a%2f%2fwww.outlet.example%2f2026%2f11%2fcentre.html&amp;c=98765&amp;mkt=en-us</link>
<description>A new detention centre opened on Monday.</description>
<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate>
<News:Source>The Outlet</News:Source>
<News:Image>https://www.bing.com/th?id=OVFT.abc&amp;pid=News</News:Image></item>
</channel></rss>"""


@pytest.mark.parametrize("fast", [True, False])
def test_bing_news_rss_gives_publisher_link_and_outlet(fast):
    parsed = parse_feed(BING, "https://www.bing.com/news/search?q=ICE+detention&format=RSS",
                        fast=fast)
    assert parsed.fast is fast
    (e,) = parsed.entries
    assert e.link == "https://www.outlet.example/2026/11/centre.html"
    assert e.outlet == "The Outlet"


def test_feedburner_orig_link_is_the_publishers():
    body = (b'<?xml version="1.0"?><rss version="2.0" '
            b'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>T'
            b"</title><item><title>A</title><guid>g</guid>"
            b"<link>http://feedproxy.google.com/~r/Outlet/~3/abc/</link>"
            b"<feedburner:origLink>https://outlet.example/a</feedburner:origLink></item>"
            b"</channel></rss>")
    fast, slow = parse_feed(body, "https://f.example/"), parse_feed(body, "https://f.example/",
                                                                     fast=False)
    assert fast.fast
    assert fast.entries[0].link == slow.entries[0].link == "https://outlet.example/a"
