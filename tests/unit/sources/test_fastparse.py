"""The lxml fast path gives feedparser's stories exactly, and leaves the unusual to feedparser."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.sources.feed.fastparse import parse_fast
from monitor.sources.feed.parser import parse_feed
from monitor.text import html_to_text, parser_text, quick_text
from tests.support.corpus import CORPUS

CORPORA = [CORPUS / "feedparser-tests", CORPUS / "real-feeds"]
URL = "https://feeds.example/news/feed.xml"


def stories(parsed) -> tuple:
    return parsed.title, [(e.key, e.guid, e.link, e.title, e.summary, e.content, e.published,
                                  e.outlet, e.outlet_site)
                          for e in parsed.entries]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.skipif(not all(c.is_dir() for c in CORPORA),
                    reason=f"shared corpus absent: {CORPORA}")
def test_fast_path_equals_feedparser_on_the_whole_corpus(capsys):
    accepted: dict[str, int] = {}
    differ = []
    for root in CORPORA:
        files = _files(root)
        assert files, root
        accepted[root.name] = 0
        for path in files:
            body = path.read_bytes()
            fast = parse_feed(body, URL)
            if not fast.fast:
                continue
            accepted[root.name] += 1
            if stories(fast) != stories(parse_feed(body, URL, fast=False)):
                differ.append(path.relative_to(root.parent))
    with capsys.disabled():
        print(f"\nfast path accepted: {accepted} of "
              f"{ {r.name: len(_files(r)) for r in CORPORA} }")
    assert differ == []
    xml_feeds = [p for p in _files(CORPORA[1]) if p.suffix in (".xml", ".rss", ".atom", ".rdf")]
    assert accepted["real-feeds"] >= 0.7 * len(xml_feeds)
    assert accepted["feedparser-tests"] >= 500


def _rss(items: str, channel: str = "<title>News</title>", head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel>{channel}{items}</channel></rss>").encode()


PLAIN = "<item><title>A</title><link>/a</link><guid>g1</guid><description>S</description></item>"


def test_plain_rss_takes_the_fast_path_and_matches():
    body = _rss(PLAIN + "<item><title>B &amp; C</title><guid isPermaLink='false'> x </guid>"
                "<pubDate>Sat, 28 Nov 2026 10:00:00 +0100</pubDate>"
                "<content:encoded><![CDATA[<p>Body <b>text</b></p>]]></content:encoded></item>")
    fast = parse_feed(body, URL)
    assert fast.fast
    assert stories(fast) == stories(parse_feed(body, URL, fast=False))
    first, second = fast.entries
    assert first.link == "https://feeds.example/a" and first.summary == "S"
    assert second.title == "B & C" and second.summary == "Body text" and second.link is None
    assert second.guid == "x"
    assert second.published.isoformat() == "2026-11-28T09:00:00+00:00"


def test_atom_with_xml_base_and_alternate_links():
    body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
    xml:base="https://other.example/base/"><title type="html">&lt;b&gt;T&lt;/b&gt;</title>
    <entry xml:base="sub/"><id>urn:x:1</id><title>One</title>
    <link rel="enclosure" href="a.mp3"/><link href="story.html"/>
    <summary type="html">&lt;p&gt;Sum&lt;/p&gt;</summary><updated>2026-11-28T10:00:00Z</updated>
    </entry></feed>"""
    fast = parse_feed(body, URL)
    assert fast.fast and fast.title == "T"
    assert stories(fast) == stories(parse_feed(body, URL, fast=False))
    assert fast.entries[0].link == "https://other.example/base/sub/story.html"


def test_media_descriptions_follow_feedparser():
    body = _rss("<item><title>T</title><link>https://x.example/1</link>"
                "<description>Lead</description><media:content url='https://x.example/i.jpg'>"
                "<media:title>Photo</media:title><media:description>Caption</media:description>"
                "</media:content></item>")
    fast = parse_feed(body, URL)
    assert fast.fast
    assert stories(fast) == stories(parse_feed(body, URL, fast=False))
    assert fast.entries[0].title == "T" and fast.entries[0].summary == "Lead"


@pytest.mark.parametrize("body", [
    _rss(PLAIN, head='<!DOCTYPE rss [<!ENTITY x "y">]>'),
    _rss(PLAIN.replace("<title>A</title>", "<title>&amp;</title")),  # not well-formed
    b'<?xml version="1.0"?><feed xmlns="http://purl.org/atom/ns#"><entry><title>A</title>'
    b"</entry></feed>",  # Atom 0.3
    b"<html><body><item><title>A</title></item></body></html>",
    _rss(PLAIN.replace("<description>S</description>",
                       "<description><p>S</p></description>")),  # raw markup in a text field
    _rss(PLAIN.replace("<title>A</title>", '<title type="xhtml">A</title>')),
    _rss(PLAIN.replace("<item>", "<item><image><title>I</title></image>")),
    _rss(PLAIN.replace("<guid>g1</guid>", "<guid>g1</guid><guid>g2</guid>")),
    _rss(PLAIN.replace("<guid>g1</guid>", "<guid>g1</guid><source><title>X</title></source>")),
    _rss(PLAIN, channel="<title>News</title><content:encoded>x</content:encoded>"),
    _rss("<item><title>Caf\xe9</title></item>").replace(b"utf-8", b"utf-8", 1)
    .replace("Caf\xe9".encode(), b"Caf\xe9"),  # Latin-1 bytes declared as UTF-8
    _rss(""),  # no entries: feedparser decides what that means
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>A</title></channel>'
    b"<item><title>outside</title></item></rss>",
])
def test_unusual_documents_fall_back_to_feedparser(body):
    assert parse_fast(body, URL, {}) is None
    assert not parse_feed(body, URL).fast


def test_http_charset_is_honoured_like_feedparser_and_a_failing_one_falls_back():
    body = _rss(PLAIN.replace("<title>A</title>", "<title>\u0141\xf3d\u017a</title>"))
    assert parse_fast(body, URL, {"content-type": "application/rss+xml"}) is not None
    assert parse_fast(_rss(PLAIN), URL, {"content-type": "text/html"}) is not None
    latin2 = body.decode().replace("utf-8", "iso-8859-2").encode("iso-8859-2")
    headers = {"content-type": "text/xml; charset=iso-8859-2"}
    fast = parse_feed(latin2, URL, headers)
    assert fast.fast and fast.entries[0].title == "\u0141\xf3d\u017a"
    assert stories(fast) == stories(parse_feed(latin2, URL, headers, fast=False))
    assert parse_fast(body, URL, {"content-type": "text/xml; charset=us-ascii"}) is None


def test_entities_never_expand_on_the_fast_path():
    bomb = _rss(PLAIN.replace("<title>A</title>", "<title>&lol9;</title>"),
                head='<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol9 "&lol;&lol;">]>')
    assert parse_fast(bomb, URL, {}) is None
    parsed = parse_feed(bomb, URL)
    assert not parsed.fast and all(len(e.title) < 100 for e in parsed.entries)


@pytest.mark.parametrize("fragment", [
    '<p>One <a href="/x?a=1&amp;b=2">two</a></p><P>three&nbsp;&amp; four</P>',
    "<div class=x>a</div>b<br/>c<i>d</i>e &lt;tag&gt; caf&#233;",
    '<span title="a &quot;q&quot;">x</span>\n\t y',
    "<p>x<!-- hidden -->y</p>", "a<script>if (a<b) x()</script>b", "<b>unclosed <i",
    "<title>t<b>x</b></title>", "1 < 2 and <p>3</p>", "&bogus; &amp &#x41;<br>",
])
def test_html_to_text_quick_route_agrees_with_the_html_parser(fragment):
    quick = quick_text(fragment)
    assert html_to_text(fragment) == parser_text(fragment)
    if "<!--" in fragment or "script" in fragment or "unclosed" in fragment:
        assert quick is None
    if fragment.startswith("<p>One"):
        assert quick == "One two three & four"


def test_rss_source_names_the_outlet_on_both_paths():
    body = _rss(
        "<item><title>Raid in town - The Outlet</title>"
        "<link>https://news.google.com/rss/articles/CBMiX?oc=5</link>"
        "<guid isPermaLink='false'>CBMiX</guid>"
        "<source url='https://www.outlet.example'> The  Outlet </source></item>"
        "<item><title>First</title><source url='https://www.bare.example/'></source>"
        "<title>Second</title><guid>g2</guid></item>"
        "<item><title>No source</title><guid>g3</guid></item>")
    fast = parse_feed(body, URL)
    assert fast.fast
    assert stories(fast) == stories(parse_feed(body, URL, fast=False))
    assert [e.outlet for e in fast.entries] == ["The Outlet", "bare.example", None]
    assert fast.entries[1].title == "Second"  # a <source> resets feedparser's title mark


def test_atom_source_with_elements_is_feedparsers():
    body = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>P</title>'
            b"<entry><id>urn:1</id><title>T</title><source><id>urn:s</id>"
            b"<title>Origin Blog</title></source></entry></feed>")
    parsed = parse_feed(body, URL)
    assert not parsed.fast
    assert parsed.entries[0].outlet == "Origin Blog"
