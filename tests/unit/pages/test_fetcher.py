"""The page fetcher against a real loopback site: robots.txt, deadline, cap, type, redirects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from monitor.config import PollingConfig
from monitor.pages import Page, PageFetcher, fetch_pages
from tests.support.articles import Answer, ArticleServer

POLLING = PollingConfig(timeout=1.0, max_bytes=256 * 1024, contact="mailto:ops@example.org")
ROBOTS = ("User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n\n"
          "User-agent: ice-monitor\nDisallow: /private/\nDisallow: /no-bots/\n")
ARTICLE = b"<html><head><title>T</title></head><body><article><p>Words.</p></article></body></html>"


@pytest.fixture
def site() -> Iterator[ArticleServer]:
    server = ArticleServer(robots=ROBOTS).start()
    yield server
    server.stop()


def fetch(*urls: str, polling: PollingConfig = POLLING) -> list[Page]:
    return fetch_pages(urls, polling)


def test_a_page_comes_with_its_bytes_url_status_headers_and_time(site):
    [page] = fetch(site.add("/a", ARTICLE))
    assert page.ok and page.body == ARTICLE and page.status == 200
    assert page.final_url == site.url("/a") and page.headers["content-type"].startswith("text/html")
    assert page.fetched_at.tzinfo is not None and page.redirects == ()
    assert site.agents[-1] == "ice-monitor/0.1 (+mailto:ops@example.org)"


def test_robots_disallowed_pages_are_never_requested(site):
    site.add("/private/a", ARTICLE)
    site.add("/no-bots/b", ARTICLE)
    pages = fetch(site.url("/private/a"), site.url("/no-bots/b"), site.add("/ok", ARTICLE))
    assert [p.failure for p in pages] == ["robots", "robots", None]
    assert "/private/a" not in site.asked and "/no-bots/b" not in site.asked
    assert site.asked.count("/robots.txt") == 1  # cached per host


def test_a_redirect_into_a_disallowed_path_is_not_followed(site):
    site.add("/moved", b"", status=301, headers={"Location": "/private/a"})
    site.add("/private/a", ARTICLE)
    [page] = fetch(site.url("/moved"))
    assert page.failure == "robots" and "/private/a" not in site.asked


def test_redirects_are_followed_and_bounded(site):
    site.add("/old", b"", status=302, headers={"Location": "/new"})
    site.add("/new", ARTICLE)
    for n in range(7):
        site.add(f"/r{n}", b"", status=302, headers={"Location": f"/r{n + 1}"})
    moved, looping = fetch(site.url("/old"), site.url("/r0"))
    assert moved.ok and moved.final_url == site.url("/new")
    assert moved.redirects == (site.url("/old"),)
    assert looping.failure == "redirects" and "/r6" not in site.asked


def test_a_page_that_hangs_is_cut_at_the_deadline(site):
    [page] = fetch(site.url("/hang"))
    assert page.failure == "timeout" and page.body == b""
    assert 0.9 < page.elapsed < 3


def test_a_huge_page_is_cut_at_the_cap(site):
    [page] = fetch(site.url("/huge"))
    assert page.failure == "too_large" and page.body == b""
    assert site.huge_sent < 64 * POLLING.max_bytes


def test_a_declared_huge_page_is_refused_before_reading(site):
    site.pages["/big"] = Answer(b"<p>" * 200_000)
    [page] = fetch(site.url("/big"))
    assert page.failure == "too_large"


def test_a_page_that_is_not_html_is_not_read(site):
    site.add("/doc.pdf", b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    [page] = fetch(site.url("/doc.pdf"))
    assert page.failure == "not_html" and page.body == b"" and page.status == 200


def test_a_missing_page_is_gone_and_other_errors_are_http(site):
    site.add("/err", b"oops", status=503)
    gone, err = fetch(site.url("/nothing"), site.url("/err"))
    assert gone.failure == "http" and gone.gone and gone.status == 404
    assert err.failure == "http" and not err.gone


def test_robots_that_cannot_be_read_keep_us_away_and_missing_ones_let_us_in():
    down = ArticleServer(robots=None).start()
    try:
        down.add("/robots.txt", b"busy", status=503)
        down.add("/a", ARTICLE)
        [page] = fetch(down.url("/a"))
        assert page.failure == "robots_unavailable" and "/a" not in down.asked
        assert page.error == "robots.txt answered HTTP 503: not asked"
        del down.pages["/robots.txt"]  # a 404 robots.txt: no rules
        [page] = fetch(down.url("/a"))
        assert page.ok
    finally:
        down.stop()


def test_a_refused_connection_and_a_bad_url_are_failures_not_errors():
    refused, odd, port = fetch("http://127.0.0.1:9/a", "ftp://example.org/x",
                               "http://127.0.0.1:99999/a")
    assert refused.failure == "robots_unavailable" and odd.failure == "bad_url"
    assert port.failure == "bad_url"


def test_a_shared_session_fetches_concurrently(site):
    site.add("/a", ARTICLE)
    site.add("/b", ARTICLE)

    async def go() -> list[Page]:
        async with PageFetcher(POLLING) as fetcher:
            assert await fetcher.allowed(site.url("/a"))
            assert not await fetcher.allowed(site.url("/private/x"))
            return await fetcher.fetch_many([site.url("/a"), site.url("/b")])
    assert all(p.ok for p in asyncio.run(go()))


def test_a_crawl_delay_spaces_our_requests_to_its_host():
    slow = ArticleServer(robots="User-agent: *\nCrawl-delay: 1\n").start()
    try:
        urls = [slow.add(f"/p{n}", ARTICLE) for n in range(3)]
        pages = fetch(*urls)
        assert all(p.ok for p in pages)
        answered = sorted(p.fetched_at.timestamp() for p in pages)
        assert answered[-1] - answered[0] >= 1.9  # three requests, a second apart at least
    finally:
        slow.stop()


def test_a_robots_txt_in_many_chunks_is_read_to_its_end():
    padding = "# a long comment line that news sites' robots files are full of\n" * 6000
    assert 300_000 < len(padding) < 500_000  # more than one read, less than the cap
    big = ArticleServer(robots="User-agent: *\n" + padding + "Disallow: /private/\n").start()
    try:
        [page] = fetch(big.add("/private/x", ARTICLE))
        assert page.failure == "robots" and "/private/x" not in big.asked
    finally:
        big.stop()


def test_the_longest_robots_rule_wins_and_wildcards_apply():
    rules = ArticleServer(robots="User-agent: *\nAllow: /\nDisallow: /private\n"
                                 "Disallow: /*/print\nDisallow: /*.pdf$\n"
                                 "Allow: /private/open\n").start()
    try:
        paths = ["/private/x", "/news/print", "/doc.pdf", "/doc.pdf?page=2",
                 "/private/open/a", "/news/a"]
        pages = fetch(*(rules.add(p, ARTICLE) for p in paths))
        assert [p.failure for p in pages] == ["robots", "robots", "robots", None, None, None]
        assert not {"/private/x", "/news/print", "/doc.pdf"} & set(rules.asked)
    finally:
        rules.stop()
