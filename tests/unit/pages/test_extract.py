"""Extraction on the shared corpus served on loopback, `monitor extract`, the paragraph around
a hit and which entries get their page."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.config import PollingConfig
from monitor.pages.extract import extract, paragraph_around
from monitor.pages.fetcher import fetch_pages
from monitor.pages.policy import page_wanted
from monitor.sources.entry import make_entry
from tests.support.articles import (
    ARTICLES,
    ArticleServer,
    corpus_articles,
    precision_recall_f1,
    shingle_counts,
)
from tests.support.helpers import run_cli

CORPUS = corpus_articles()
needs_corpus = pytest.mark.skipif(not CORPUS, reason="../shared/corpus/articles is absent")


@pytest.fixture
def site() -> Iterator[ArticleServer]:
    server = ArticleServer(robots="User-agent: *\nDisallow:\n").start()
    yield server
    server.stop()


@needs_corpus
def test_the_corpus_fetched_on_loopback_is_extracted_close_to_the_true_bodies(site):
    urls = [site.add(f"/{key}", html) for key, (html, _) in CORPUS.items()]
    pages = fetch_pages(urls, PollingConfig(timeout=20))
    assert all(p.ok for p in pages)
    counts = [shingle_counts(truth, extract(p.body, p.url).body)
              for p, (_, truth) in zip(pages, CORPUS.values(), strict=True)]
    precision, recall, f1 = precision_recall_f1(counts)
    assert f1 > 0.96 and precision > 0.95 and recall > 0.97  # measured: 0.975, 0.966, 0.985


@needs_corpus
def test_metadata_comes_with_the_text():
    html, _ = next(iter(CORPUS.values()))
    got = extract(html)
    assert got.title.startswith("Google Stadia") and got.language == "en"
    assert got.url and got.url.startswith("https://www.wsj.com/")


@needs_corpus
def test_title_author_and_date_are_trafilaturas_own_on_every_page():
    import trafilatura

    for key, (html, _) in CORPUS.items():
        url = f"https://outlet.example/{key}"
        full = trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                           include_comments=False, favor_precision=True)
        got = extract(html, url)
        assert (got.title, got.author, got.published, got.body) == (
            (full.title or "").strip(), full.author, full.date, (full.text or "").strip()), key


BYLINE_PAGE = ("<html><head><title>Detention contract renewed | Herald</title></head><body>"
               "<article><h1>Detention contract renewed</h1>"
               '<p class="byline">By <span class="author">Dana Reporter</span></p>'
               "<time datetime='2026-11-03'>Nov 3, 2026</time>"
               + "<p>The county renewed its detention contract with GEO Group on Tuesday, "
               "after a long public hearing that drew dozens of speakers.</p>" * 6
               + "</article></body></html>").encode()


def test_the_byline_and_date_are_found_without_meta_tags():
    got = extract(BYLINE_PAGE, "https://herald.example/2026/11/03/contract")
    assert got.author == "Dana Reporter" and got.published == "2026-11-03"
    assert got.title.startswith("Detention contract renewed") and "GEO Group" in got.body


def test_a_page_whose_metadata_cannot_be_read_keeps_its_text(monkeypatch):
    import trafilatura.metadata

    def odd(tree):
        raise ValueError("unreadable meta tags")
    monkeypatch.setattr(trafilatura.metadata, "examine_meta", odd)
    got = extract(BYLINE_PAGE, "https://herald.example/2026/11/03/contract")
    assert "GEO Group" in got.body and got.title == "" and got.author is None


def test_a_page_without_an_article_gives_an_empty_body():
    assert extract(b"").body == ""
    assert extract(b"<html lang=fr><body></body></html>").language == "fr"


@needs_corpus
def test_monitor_extract_reads_saved_files_gzip_and_urls(site, tmp_path):
    key, (html, _) = next(iter(CORPUS.items()))
    plain = tmp_path / "page.html"
    plain.write_bytes(html)
    url = site.add("/article", html)
    result = run_cli("extract", str(ARTICLES / "html" / f"{key}.html.gz"), str(plain), url,
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rows] == [str(ARTICLES / "html" / f"{key}.html.gz"),
                                           str(plain), url]
    assert all(set(r) == {"source", "url", "title", "body", "published", "language"}
               for r in rows)
    assert rows[0]["body"] == rows[1]["body"] == rows[2]["body"] and len(rows[0]["body"]) > 300
    assert rows[2]["url"] == url and rows[0]["published"] == "2019-11-19"


def test_monitor_extract_says_which_input_failed_and_goes_on(site, tmp_path):
    page = tmp_path / "p.html.gz"
    page.write_bytes(gzip.compress(b"<html><body><article><p>" + b"Words here. " * 40
                                   + b"</p></article></body></html>"))
    result = run_cli("extract", str(tmp_path / "missing.html"), site.url("/nothing"),
                     str(page), "--format", "json")
    assert result.returncode == 1
    missing, gone, good = (json.loads(line) for line in result.stdout.splitlines())
    assert "FileNotFoundError" in missing["error"] and gone["error"] == "HTTP 404"
    assert "error" not in good and good["body"].startswith("Words here.")


def test_the_context_is_the_paragraph_or_the_sentences_around_the_hit():
    body = "First paragraph.\nThe GEO Group runs it. Second sentence.\nLast one."
    at = body.index("GEO")
    assert paragraph_around(body, at, at + 9) == "The GEO Group runs it. Second sentence."
    long = " ".join(f"Sentence number {i} is here." for i in range(60))
    body = "Intro.\n" + long + " The GEO Group signed. " + long
    at = body.index("GEO")
    context = paragraph_around(body, at, at + 9)
    assert "The GEO Group signed." in context and 300 < len(context) <= 600
    assert context.startswith("Sentence number") and context.endswith(".")


def _entry(summary: str, link: str | None = "https://news.example/a"):
    return make_entry("g", link, "Headline", summary, "", datetime(2026, 11, 1, tzinfo=UTC))


def test_auto_fetches_pages_of_short_entries_only():
    short, long = _entry("A line."), _entry(" ".join(["word"] * 100))
    assert page_wanted(None, "auto", short) and not page_wanted(None, "auto", long)
    assert page_wanted(True, "auto", long) and not page_wanted(False, True, short)
    assert page_wanted(None, True, long)  # a search kind: always
    assert not page_wanted(True, True, _entry("A line.", link=None))


def test_full_text_takes_true_false_or_auto(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\nurl = "sqlite:///m.db"\n[[feeds]]\nurl = "https://a.example/f"'
                      '\nfull_text = "auto"\n[[feeds]]\nurl = "https://b.example/f"\n'
                      'full_text = "sometimes"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert f'{config}:8: full_text must be true, false or "auto"' in result.stdout + result.stderr


def test_a_body_hit_quotes_the_paragraph_that_names_it():
    from pathlib import Path

    from monitor.config.watchlists import load_watchlists
    from monitor.matching import Matcher
    from monitor.pages.read import body_matches

    matcher = Matcher(load_watchlists(Path(__file__).parents[3] / "watchlists"))
    body = ("Q&A:  the  council  voted  on  the  budget  and  the  new  park  plan  today  "
            "after  a  long  debate  about  the  school  board.\n"
            "The GEO Group said it would appeal.")
    [hit] = [m for m in body_matches(matcher, "Council roundup", "", body)
             if m.entity == "GEO Group"]
    assert hit.context == "The GEO Group said it would appeal."


def test_monitor_extract_says_a_gzip_file_is_corrupt(tmp_path):
    whole = gzip.compress(b"<html><body><article><p>" + b"Words here. " * 40
                          + b"</p></article></body></html>")
    cut, garbled = tmp_path / "cut.html.gz", tmp_path / "garbled.html.gz"
    cut.write_bytes(whole[:30])
    garbled.write_bytes(whole[:10] + b"\xff" * 40)
    result = run_cli("extract", str(cut), str(garbled))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all(e.startswith("error: corrupt gzip file: ") for e in errors)
