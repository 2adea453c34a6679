"""A loopback news site: article pages (the shared corpus or given HTML), a robots.txt, and
pages that misbehave (/hang answers only when released, /huge never ends, /pdf is no HTML)."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.servers import _Server

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ARTICLES = SHARED / "corpus" / "articles"


def corpus_articles() -> dict[str, tuple[bytes, str]]:
    """The shared corpus: page id -> (HTML as served, true body); empty when it is absent."""
    truth_file = ARTICLES / "ground-truth.json"
    if not truth_file.exists():
        return {}
    truth = json.loads(truth_file.read_text())
    return {key: (gzip.decompress((ARTICLES / "html" / f"{key}.html.gz").read_bytes()),
                  item["articleBody"]) for key, item in truth.items()}


@dataclass
class Answer:
    """A canned answer for one path."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {
        "Content-Type": "text/html; charset=utf-8"})


class ArticleServer:
    """Serves ``pages`` (path -> Answer) and ``robots`` on 127.0.0.1; records each path asked,
    with its User-Agent. ``release`` lets /hang answer."""

    def __init__(self, robots: str | None = None) -> None:
        self.pages: dict[str, Answer] = {}
        self.robots = robots
        self.asked: list[str] = []
        self.agents: list[str] = []
        self.release = threading.Event()
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
