"""Hostile text costs the matcher bounded time and memory (issue 12, bug 3)."""

from __future__ import annotations

import json
import random
import string
import time
import tracemalloc
from pathlib import Path

import pytest

from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher, engine
from monitor.matching.engine import FIELD_CHARS
from monitor.matching.index import FUZZY_MAX_LEN, TokenIndex
from tests.support.helpers import run_cli, write_config

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlists(ROOT / "watchlists"))


def _letters(rng: random.Random, n: int) -> str:
    """A word of ``n`` random letters: every deletion of it is a different string."""
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _peak(call) -> int:
    """Peak Python memory (bytes) allocated by ``call()``."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _seconds(call) -> float:
    """Wall time of ``call()`` (untraced: tracing slows allocation several-fold)."""
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_one_long_word_costs_memory_linear_in_its_length(matcher: Matcher) -> None:
    word = _letters(random.Random(1), 6000)
    peak = _peak(lambda: matcher.match(word, word, word))
    assert peak < 2 * 2**20, f"{peak / 2**20:.1f} MB"  # 34 MB before the length cap


def test_200000_letter_title_of_long_words_is_quick(matcher: Matcher) -> None:
    rng = random.Random(2)
    title = " ".join(_letters(rng, 5000) for _ in range(40))
    peak = _peak(lambda: matcher.match(title + " ICE agents detain a man"))
    seconds = _seconds(lambda: matcher.match(title + " ICE agents detain a man"))
    assert seconds < 0.5 and peak < 8 * 2**20, (seconds, peak / 2**20)


def test_many_mentions_cost_linear_time(matcher: Matcher) -> None:
    """Each weak-alias candidate searched the whole story for vetoes: 1,000 mentions took 6 s."""
    body = "ICE agents detain a man. " * 1000
    seconds = _seconds(lambda: matcher.match("Raids", body, body))
    assert seconds < 1.0, seconds
    assert {h.entity for h in matcher.match("Raids", body)} == {"ICE"}


def test_field_text_past_the_cap_is_not_matched(matcher: Matcher) -> None:
    filler = "word " * (FIELD_CHARS // 5)
    assert matcher.match("", "GEO Group wins " + filler) != []
    assert matcher.match("", filler + " GEO Group wins") == []
    seconds = _seconds(lambda: matcher.match("", "GEO Group wins " * 200_000))
    assert seconds < 2.0, seconds


def _rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid></item>"
                   for u, t in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>'
            f"<link>https://hostile.example/</link>{body}</channel></rss>").encode()


def test_feed_with_a_giant_word_keeps_its_normal_entries(tmp_path, feed_server) -> None:
    """A 90 KB feed whose one title is a single 90,000-letter word hit MemoryError on every
    poll, so its normal entries were never stored."""
    normal = [(f"https://hostile.example/ice-{i}", f"ICE agents detain workers in town {i}")
              for i in range(5)]
    giant = ("https://hostile.example/giant", _letters(random.Random(3), 90_000))
    body = _rss([giant, *normal])
    assert len(body) > 90_000
    config = write_config(tmp_path, [feed_server.add("/hostile.xml", body)])
    result = run_cli("poll-once", "--json", "--config", str(config), timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["feeds_failed"] == 0 and summary["new_stories"] == 6, summary
    hits = run_cli("hits", "--format", "json", "--config", str(config))
    assert hits.returncode == 0, hits.stderr
    rows = json.loads(hits.stdout)
    assert sorted(r["entity"] for r in rows) == ["ICE"] * 5


def test_fuzzy_lookup_reaches_one_letter_past_the_longest_alias_word() -> None:
    index = TokenIndex()
    wid = index.add("detention")
    assert index.fuzzy_limit == len("detention") + 1
    assert index.lookup("detentions") == ((wid, 1),)
    assert index.lookup("detentionss") == ()
    long_alias = "a" * (FUZZY_MAX_LEN + 1)
    long_id = index.add(long_alias)
    assert index.lookup(long_alias) == ((long_id, 0),)  # beyond the cap: exact only
    assert index.lookup(long_alias + "b") == ()


def test_screen_keeps_known_words_when_its_cache_is_cleared(monkeypatch) -> None:
    """Clearing the full screen cache dropped the story's already-known alias words with it."""
    monkeypatch.setattr(engine, "RAW_CACHE_LIMIT", 3)
    matcher = Matcher(load_watchlists(ROOT / "watchlists"))
    assert matcher.match("GEO Group wins") != []
    assert {h.entity for h in matcher.match("GEO Group wins alpha beta gamma")} == {"GEO Group"}
