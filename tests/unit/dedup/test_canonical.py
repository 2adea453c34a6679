"""The canonical link's fast path (no w3lib) gives exactly w3lib's answer, or steps aside."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from monitor.dedup.canonical import NOT_SIMPLE, canonical_url, simple_canonical, w3lib_canonical

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"

PIECES = {
    "scheme": ["http://", "https://", "HTTP://", "ftp://"],
    "host": ["news.example", "News.Example", "a-b.example.org", "127.0.0.1", "x.example:8080",
             "x.example:0", "user@x.example", "xn--bcher-kva.example", "bücher.example",
             "x.example.", "[::1]"],
    "path": ["", "/", "/a", "/a/", "/a/b.html", "/a//b", "/a/./b", "/a/../b", "/.well-known/x",
             "/a%2Fb", "/a b", "/é", "/a;p=1", "/~user/x_y-z", "/A/B"],
    "query": ["", "?", "?a=1", "?b=2&a=1", "?a", "?a=", "?a=1&a=0", "?a=1=2", "?utm_source=rss",
              "?utm_source=x&b=2&a=1", "?fbclid=1&id=7", "?id=7&ID=8", "?a=1&&b=2",
              "?a=%20", "?a=b+c", "?q=x y", "?a=1&utm_medium=e&a=2", "?CMP=1&cmp=2",
              "?UTM_Source=x&z=1", "?k=~v", "?a=1;b=2"],
    "fragment": ["", "#", "#frag", "#a?b=1", "#x y"],
}


def _generated(count: int) -> list[str]:
    rng = random.Random(18)
    return ["".join(rng.choice(PIECES[part]) for part in PIECES) for _ in range(count)]


def test_fast_path_agrees_with_w3lib_on_every_shape():
    urls = _generated(5000) + ["https://outlet3.example/story/7?utm_source=rss",
                               "https://x.example/" + "a" * 3000]
    fast = 0
    for url in urls:
        assert canonical_url(url) == w3lib_canonical(url), url
        fast += simple_canonical(url) != NOT_SIMPLE
    assert fast > 200  # the fast path is taken, not only the fallback


def test_fast_path_agrees_on_real_feed_links():
    files = sorted(CORPUS.glob("real-feeds/**/*")) if CORPUS.is_dir() else []
    links: set[str] = set()
    for path in files:
        if path.is_file() and path.stat().st_size < 5_000_000:
            text = path.read_bytes().decode("utf-8", "replace")
            links.update(re.findall(r"https?://[^\s\"'<>]+", text))
    if not links:
        pytest.skip("../shared/corpus/real-feeds is absent")
    for url in sorted(links):
        assert canonical_url(url) == w3lib_canonical(url), url
