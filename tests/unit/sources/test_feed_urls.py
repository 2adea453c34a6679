"""Joining an entry's link to its base gives urljoin's (and feedparser's) answer exactly."""

from __future__ import annotations

import random
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from feedparser.urls import _urljoin as feedparser_join

from monitor.dedup.aggregators import host_of
from monitor.sources.feed.fastparse import parse_fast
from monitor.sources.feed.urls import join, readable_base
from storage.links import is_plain_absolute, plain_host, web_link

BASES = ["https://outlet.example/news/feed.xml", "http://a.example/b/c;p?q#f", "",
         "https://other.example", "ftp://files.example/dir/", "http://[", "file://[x"]

TRICKY = [
    "https://outlet.example/2026/11/story.html", "http://a.example", "http://a.example/",
    "https://a.example:8443/x?id=1&b=2#top", "https://a.example/x?", "https://a.example/x#",
    "https://a.example/x?#", "https://a.example/x;params", "https://a.example/x;p?q=1",
    "HTTPS://A.example/x", "Https://a.example/x", "https://a.example/../x", "https://a.example/./x",
    "https:///a.example/x", "https:a.example/x", "https://a.example/x y", "https://a.example/x\ty",
    "https://a.example/x\n", " https://a.example/x", "https://a.example/\x00x",
    "https://user:pw@a.example/x", "https://[::1]/x", "https://[::1/x", "https://a.example:/x",
    "https://a.example:99999999/x", "https://a.exa mple/x", "https://ä.example/x",
    "https://a.example/é?ü=1#ö", "https://a.example/x?q=a?b#c#d", "//a.example/x", "/x", "x",
    "?q", "#f", "../up", "mailto:a@b.example", "javascript:alert(1)", "https://a.example/%zz",
    "https://a.example/x?\u00a0", "https://a.example/x#\u2028", "https://a.example/x?q=1&amp;b=2",
    "https://a.example\\x", "http://a.example/x?q=1;r=2", "http://a.example/x#f;g",
]


def _generated(n: int) -> list[str]:
    """Random URLs built from the pieces urlsplit treats specially."""
    pick = random.Random(7).choice
    pieces = ["http://", "https://", "HTTP://", "//", "a.example", "b.example:80", ":", "/",
              "x", "..", ".", ";", "?", "#", "=", "&", " ", "\t", "%20", "é", "[", "]", "@"]
    return ["".join(pick(pieces) for _ in range(random.Random(i).randint(1, 9)))
            for i in range(n)]


@pytest.mark.parametrize("base", BASES)
def test_join_equals_urljoin(base):
    for url in TRICKY + _generated(5000):
        try:
            expected = urljoin(base, url)
        except ValueError:
            with pytest.raises(ValueError):
                join(base, url)
            continue
        assert join(base, url) == expected, (base, url)


def test_plain_absolute_links_are_what_feedparser_resolves_them_to():
    plain = [u for u in TRICKY + _generated(5000) if is_plain_absolute(u)]
    assert len(plain) > 25
    for base in BASES:
        for url in plain:
            expected = url if readable_base(base) else ""  # feedparser's answer to a bad base
            assert feedparser_join(base, url) == expected, (base, url)


def test_common_links_take_the_fast_path():
    assert is_plain_absolute("https://www.outlet.example/2026/11/30/ice-raid.html?utm_source=rss")
    assert not is_plain_absolute("/2026/11/30/ice-raid.html")
    assert not is_plain_absolute("https://outlet.example/x?")


def test_plain_absolute_links_keep_urlsplits_host_and_are_web_links():
    for url in TRICKY + _generated(5000):
        host = plain_host(url)
        if host is not None:
            assert host.lower() == urlsplit(url).hostname, url
            assert web_link(url) == url and host_of(url) == (
                urlsplit(url).hostname or "").removeprefix("www.") or None, url


def test_a_link_under_an_unreadable_base_is_what_feedparser_makes_of_it():
    xml = (b'<?xml version="1.0"?><rss version="2.0"><channel xml:base="file:/.//[x">'
           b"<title>t</title><item xml:base='/.//[x'><title>a</title>"
           b"<link>http://example.com/story</link><guid>http://example.com/g</guid></item>"
           b"</channel></rss>")
    url = "http://host/feed"
    fast = parse_fast(xml, url, {})
    slow = feedparser.parse(xml, response_headers={"content-location": url})
    assert fast is not None
    assert [(e["link"], e["id"]) for e in fast.entries] == [
        (e.get("link"), e.get("id")) for e in slow.entries] == [("", "")]
