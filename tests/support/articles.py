"""A loopback news site: article pages (the shared corpus or given HTML), a robots.txt, and
pages that misbehave (/hang answers only when released, /huge never ends, /pdf is no HTML)."""

from __future__ import annotations

import gzip
import json
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.support.helpers import SHARED
from tests.support.servers import _Server

ARTICLES = SHARED / "corpus" / "articles"


def corpus_articles() -> dict[str, tuple[bytes, str]]:
    """The shared corpus: page id -> (HTML as served, true body); empty when it is absent."""
    truth_file = ARTICLES / "ground-truth.json"
    if not truth_file.exists():
        return {}
    truth = json.loads(truth_file.read_text())
    return {key: (gzip.decompress((ARTICLES / "html" / f"{key}.html.gz").read_bytes()),
                  item["articleBody"]) for key, item in truth.items()}


_WORD = re.compile(r"\w+")


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = _WORD.findall(text or "")
    return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))
                   if words[i:i + n])


def shingle_counts(true: str, pred: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over 4-word shingles, normalised to sum 1 so that every page weighs the
    same: the article-extraction-benchmark's measure (ground-truth.json, SOURCES.md)."""
    t, p = _shingles(true), _shingles(pred)
    tp = sum(min(t[k], p[k]) for k in t.keys() | p.keys())
    fp = sum(max(0, p[k] - t[k]) for k in p)
    fn = sum(max(0, t[k] - p[k]) for k in t)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_recall_f1(counts: Sequence[tuple[float, float, float]]) -> tuple[float, ...]:
    """Mean precision and recall over pages (a page with nothing predicted has no precision),
    and F1 of those means, as the benchmark computes them."""
    def score(tp: float, other: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return tp / (tp + other) if tp + other else 0.0
    precision = statistics.mean(score(tp, fp, fp, fn) for tp, fp, fn in counts if tp + fp > 0)
    recall = statistics.mean(score(tp, fn, fp, fn) for tp, fp, fn in counts if tp + fn > 0)
    return precision, recall, 2 * precision * recall / (precision + recall)


@dataclass
class Answer:
    """A canned answer for one path."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {
        "Content-Type": "text/html; charset=utf-8"})


class ArticleServer:
    """Serves ``pages`` (path -> Answer) and ``robots`` on 127.0.0.1; records each path asked,
    with its User-Agent. ``hung`` is set once /hang is asked; ``release`` lets it answer."""

    def __init__(self, robots: str | None = None) -> None:
        self.pages: dict[str, Answer] = {}
        self.robots = robots
        self.asked: list[str] = []
        self.agents: list[str] = []
        self.release = threading.Event()
        self.hung = threading.Event()
        self.huge_sent = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.asked.append(self.path)
                owner.agents.append(self.headers.get("User-Agent", ""))
                if self.path == "/robots.txt" and owner.robots is not None:
                    self._answer(Answer(owner.robots.encode(), headers={
                        "Content-Type": "text/plain"}))
                elif self.path == "/hang":
                    owner.hung.set()
                    owner.release.wait(30)
                    self._answer(Answer(b"<html><body>late</body></html>"))
                elif self.path == "/huge":
                    self._huge()
                elif self.path in owner.pages:
                    self._answer(owner.pages[self.path])
                else:
                    self.send_error(404)

            def _answer(self, answer: Answer) -> None:
                self.send_response(answer.status)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def _huge(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()  # no length: the body ends when the connection does
                chunk = b"<p>" + b"x" * 65533
                try:
                    while owner.huge_sent < 1024 * 1024 * 1024:
                        self.wfile.write(chunk)
                        owner.huge_sent += len(chunk)
                except OSError:
                    return

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def stop_when_hung(self, stop: threading.Event) -> list[float]:
        """Set ``stop`` once /hang is asked (from a thread); the list gets the time it did."""
        self.hung.clear()
        at: list[float] = []

        def watch() -> None:
            if self.hung.wait(20):
                at.append(time.monotonic())
                stop.set()
        threading.Thread(target=watch, daemon=True).start()
        return at

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def add(self, path: str, body: bytes, **kw: object) -> str:
        self.pages[path] = Answer(body, **kw)  # type: ignore[arg-type]
        return self.url(path)

    def start(self) -> ArticleServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
