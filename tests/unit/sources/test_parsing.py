"""Parsing: hostile XML never reaches disk or network, odd feeds keep what they have."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc

import pytest

from monitor.sources.feed.parser import parse_feed
from tests.support.corpus import CORPUS

ATTACKS = CORPUS / "xml-attacks" / "defusedxml"
BASE = "https://news.example/feeds/rss.xml"


def _rss(items: str, extra: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{extra}<rss version="2.0"><channel><title>T</title>'
            f"{items}</channel></rss>").encode()


@pytest.fixture
def listener():
    """A TCP listener that records whether anything connected (it must not)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    hits: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], hits
    stop.set()
    thread.join()
    sock.close()


def test_xxe_reads_no_file_and_opens_no_connection(tmp_path, listener):
    port, connections = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    for system_id in (secret.as_uri(), f"http://127.0.0.1:{port}/x.dtd"):
        doctype = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{system_id}">]>'
        body = _rss("<item><title>a &xxe; b</title><link>https://n.example/1</link>"
                    "<description>&xxe;</description></item>", doctype)
        parsed = parse_feed(body, BASE)
        text = " ".join(e.title + e.summary for e in parsed.entries)
        assert "TOP-SECRET" not in text
    param = (f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd"> %p;]>')
    parse_feed(_rss("<item><title>x</title></item>", param), BASE)
    time.sleep(0.3)
    assert connections == []


@pytest.mark.skipif(not ATTACKS.is_dir(), reason=f"shared corpus absent: {ATTACKS}")
@pytest.mark.parametrize("name", sorted(p.name for p in ATTACKS.glob("*.xml"))
                         if ATTACKS.is_dir() else [])
def test_defusedxml_attack_files_stay_small_and_fast(name):
    body = (ATTACKS / name).read_bytes().replace(b"/PATH/TO/xmltestdata/", b"/etc/")
    tracemalloc.start()
    started = time.monotonic()
    try:
        parsed = parse_feed(body, BASE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 20 * 2**20, f"{name}: {peak / 2**20:.0f} MB"
    assert "root:" not in " ".join(e.title + e.summary for e in parsed.entries)


def test_billion_laughs_in_a_feed_does_not_expand():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]>'
    tracemalloc.start()
    try:
        parsed = parse_feed(_rss("<item><title>&l9;</title><link>https://n.example/1</link>"
                                 "</item>", doctype), BASE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    assert all(len(e.title) < 1000 for e in parsed.entries)


def test_quadratic_blowup_is_not_expanded():
    doctype = f'<!DOCTYPE rss [<!ENTITY a "{"B" * 50_000}">]>'
    body = _rss(f"<item><title>t</title><description>{'&a;' * 20_000}</description></item>",
                doctype)
    tracemalloc.start()
    try:
        parsed = parse_feed(body, BASE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20
    assert all(len(e.summary) < 200_000 for e in parsed.entries)


def test_small_safe_entities_still_work():
    body = _rss("<item><title>Caf&eacute; &amp; &co;</title><link>https://n.example/1</link>"
                "</item>", '<!DOCTYPE rss [<!ENTITY co "Company">]>')
    assert parse_feed(body, BASE).entries[0].title == "Café & Company"


def test_relative_links_missing_dates_and_html():
    body = _rss("<item><title>&lt;b&gt;ICE&lt;/b&gt; raid</title><link>/2026/raid?x=1</link>"
                "<description><![CDATA[<p>Agents <em>detained</em> 40.</p>"
                "<script>alert(1)</script><p>More</p>]]></description></item>"
                "<item><title>Two</title><link>../two.html</link></item>")
    first, second = parse_feed(body, BASE).entries
    assert first.link == "https://news.example/2026/raid?x=1"
    assert second.link == "https://news.example/two.html"
    assert first.title == "ICE raid"
    assert first.summary == "Agents detained 40. More"
    assert first.published is None


def test_json_feed_1_1():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J",
           "items": [{"id": "1", "url": "/a", "title": "ICE <i>raid</i>",
                      "content_html": "<p>Agents detained 40.</p>",
                      "date_published": "2026-11-28T10:00:00Z"},
                     {"id": 2, "external_url": "https://other.example/b",
                      "content_text": "Plain text."}, "junk"]}
    parsed = parse_feed(json.dumps(doc).encode(), "https://j.example/feed.json",
                        {"Content-Type": "application/feed+json"})
    a, b = parsed.entries
    assert (a.link, a.title) == ("https://j.example/a", "ICE raid")
    assert a.summary == "Agents detained 40."
    assert a.published.isoformat() == "2026-11-28T10:00:00+00:00"
    assert b.guid == "2" and b.link == "https://other.example/b" and b.summary == "Plain text."


@pytest.mark.parametrize("body, reason", [
    (b"", "not a feed"),
    (b"<html><body><h1>Welcome</h1></body></html>", "not a feed"),
    (b"\xff\xfe\x00garbage\x80\x81\x82<<<>>>", "not a feed"),
    (b'{"items": "nope"}', "not a JSON Feed"),
    (b"{not json", "invalid JSON"),
])
def test_not_a_feed_is_an_error_not_a_crash(body, reason):
    parsed = parse_feed(body, BASE)
    assert parsed.entries == [] and reason in parsed.error


def test_invalid_bytes_in_a_feed_keep_the_entries():
    body = _rss("<item><title>ICE \xff\xfe raid</title><link>https://n.example/1</link></item>"
                "<item><title>Second</title><link>https://n.example/2</link></item>"
                ).replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
    parsed = parse_feed(body, BASE)
    assert [e.link for e in parsed.entries] == ["https://n.example/1", "https://n.example/2"]


def test_truncated_feed_keeps_what_it_has():
    body = _rss("<item><title>One</title><link>https://n.example/1</link></item>"
                "<item><title>Two</title><link>https://n.example/2</link></item>")[:-40]
    assert [e.title for e in parse_feed(body, BASE).entries][:1] == ["One"]
