"""``monitor feeds add``: a feed as is; a page's alternate feeds, else a common path; nothing
found or a bad URL: a clear message, exit 2, the config untouched."""

from __future__ import annotations

import tomllib

from tests.support.helpers import run_cli, write_config

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette news</title>'
       b"<link>https://gazette.example/</link><item><title>A</title><guid>a</guid></item>"
       b"</channel></rss>")
ATOM = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Gazette Atom'
        b"</title><id>urn:g</id><entry><id>urn:1</id><title>A</title></entry></feed>")


def _page(links: str) -> bytes:
    return (f"<!doctype html><html><head><title>Gazette</title>{links}</head>"
            "<body><p>Hello</p></body></html>").encode()


def _feeds(config) -> list[dict]:
    return tomllib.loads(config.read_text(encoding="utf-8")).get("feeds", [])


def _add(config, *args, stdin=None):
    return run_cli("feeds", "add", *args, "--config", str(config), stdin=stdin)


def test_a_feed_url_is_added_as_is(tmp_path, feed_server):
    url = feed_server.add("/news.rss?section=all", RSS)
    config = write_config(tmp_path, [])
    done = _add(config, url)
    assert done.returncode == 0, done.stderr
    assert _feeds(config) == [{"url": url, "name": "Gazette news"}]
    assert run_cli("check", "--config", str(config)).returncode == 0
    again = _add(config, url, "--name", "Other")
    assert again.returncode == 0 and "already" in again.stdout
    assert len(_feeds(config)) == 1


def test_a_page_lists_its_alternate_feeds_and_the_chosen_one_is_added(tmp_path, feed_server):
    feed_server.add("/feeds/main.xml", RSS)
    feed_server.add("/feeds/atom.xml", ATOM)
    page = feed_server.add("/news/", _page(
        '<link rel="alternate" hreflang="es" href="/es/" type="text/html">'
        '<link rel="alternate" type="application/rss+xml" title="Main (RSS)" '
        'href="../feeds/main.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/feeds/atom.xml">'
        '<link rel="alternate" type="application/rss+xml" title="Gone" href="/feeds/gone.xml">'),
        content_type="text/html; charset=utf-8")
    config = write_config(tmp_path, [])
    done = _add(config, page, stdin="2\n")
    assert done.returncode == 0, done.stderr
    assert "1. Main (RSS)" in done.stdout and "2. Gazette Atom" in done.stdout
    assert "Gone" not in done.stdout  # a link that answers with no feed is not offered
    assert _feeds(config) == [{"url": feed_server.url("/feeds/atom.xml"),
                               "name": "Gazette Atom"}]
    first = _add(config, page, "--yes", "--name", "The Gazette")
    assert first.returncode == 0, first.stderr
    assert _feeds(config)[1] == {"url": feed_server.url("/feeds/main.xml"),
                                 "name": "The Gazette"}


def test_a_page_without_links_is_tried_at_the_common_paths(tmp_path, feed_server):
    feed_server.add("/rss.xml", RSS)
    page = feed_server.add("/blog/post.html", _page(""), content_type="text/html")
    config = write_config(tmp_path, [])
    done = _add(config, page, "--yes")
    assert done.returncode == 0, done.stderr
    assert _feeds(config) == [{"url": feed_server.url("/rss.xml"), "name": "Gazette news"}]
    assert feed_server.hits("/feed") == 1 and feed_server.hits("/index.xml") == 1


def test_a_page_whose_alternate_links_are_dead_is_tried_at_the_common_paths(tmp_path,
                                                                            feed_server):
    feed_server.add("/feed.xml", RSS)
    page = feed_server.add("/story.html", _page(
        '<link rel="alternate" type="application/rss+xml" href="/moved-away.rss">'),
        content_type="text/html")
    config = write_config(tmp_path, [])
    done = _add(config, page, "--yes")
    assert done.returncode == 0, done.stderr
    assert _feeds(config) == [{"url": feed_server.url("/feed.xml"), "name": "Gazette news"}]


def test_no_feed_or_a_bad_url_exits_2_and_leaves_the_config(tmp_path, feed_server):
    page = feed_server.add("/plain.html", _page('<link rel="stylesheet" href="/s.css">'),
                           content_type="text/html")
    config = write_config(tmp_path, [])
    before = config.read_text(encoding="utf-8")
    for args, says in [((page,), "no feed found"), (("ftp://gazette.example/",), "http"),
                       ((feed_server.url("/missing"),), "cannot fetch"), ((), "needs the URL")]:
        done = _add(config, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert says in done.stderr, done.stderr
    assert config.read_text(encoding="utf-8") == before
