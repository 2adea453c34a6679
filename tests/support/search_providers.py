"""One loopback server answering as the three news search providers do: Google News RSS
(``/rss/search``), Bing News RSS (``/news/search``) and GDELT DOC 2.0 (``/api/v2/doc/doc``),
with their real response shapes, GDELT's plain-text refusals and its 5 s rate limit, and
429s on demand. Like the real engines it ignores case, so an "ice storm" answers "ICE"."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.support.servers import _Server

GDELT_SLOW_DOWN = ("Please limit requests to one every 5 seconds or contact "
                   "kalev.leetaru5@gmail.com for larger queries.")
GDELT_OR = "Queries containing OR'd terms must be surrounded by ()."
GDELT_PARENS = "Parentheses may only be used around OR'd statements."
_TOKEN = re.compile(r'-?"[^"]*"|\(|\)|[^\s()"]+')


@dataclass
class Story:
    """A story the engines know; ``providers`` limits who returns it (empty: all three)."""

    title: str
    url: str
    outlet: str
    outlet_url: str
    published: datetime = field(default_factory=lambda: datetime.now(UTC))
    summary: str = ""
    providers: tuple[str, ...] = ()
    language: str = "English"


def matches(query: str, text: str) -> bool:
    """A crude engine: each top-level term or (OR group) must occur, case ignored (a bare
    ``a OR b`` is one group, as Google and Bing read it); a -term must not; operators like
    sourcelang: are ignored."""
    text, groups, current, join = text.lower(), [], None, False
    for token in _TOKEN.findall(query):
        if token == "(":
            current = []
        elif token == ")":
            if join and groups:
                groups[-1] = groups[-1] + (current or [])
            else:
                groups.append(current or [])
            current, join = None, False
        elif token == "OR":
            join = current is None
        elif ":" not in token:
            term = token.lstrip("-").strip('"').lower()
            if token.startswith("-"):
                if term in text:
                    return False
            elif current is not None:
                current.append(term)
            elif join and groups:
                groups[-1].append(term)
                join = False
            else:
                groups.append([term])
    return all(any(t in text for t in g) for g in groups)


def gdelt_syntax_error(query: str) -> str | None:
    """GDELT's refusals we model: OR outside parentheses, parentheses around no OR."""
    depth, ors_in_group = 0, 0
    for token in _TOKEN.findall(query):
        if token == "(":
            depth, ors_in_group = depth + 1, 0
        elif token == ")":
            if ors_in_group == 0:
                return GDELT_PARENS
            depth -= 1
        elif token == "OR":
            if depth == 0:
                return GDELT_OR
            ors_in_group += 1
    return None


def _article_id(url: str) -> str:
    """Opaque, as Google's current ids are (the publisher URL cannot be read from it)."""
    digest = hashlib.sha256(url.encode()).digest() * 3
    return "CBMi" + base64.urlsafe_b64encode(b"AU_yqL" + digest).decode().rstrip("=")


def google_item(s: Story) -> str:
    link = f"https://news.google.com/rss/articles/{_article_id(s.url)}?oc=5"
    description = (f'<a href="{link}" target="_blank">{escape(s.title)}</a>&nbsp;&nbsp;'
                   f'<font color="#6f6f6f">{escape(s.outlet)}</font>')
    return (f"<item><title>{escape(s.title)} - {escape(s.outlet)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{_article_id(s.url)}</guid>'
            f"<pubDate>{format_datetime(s.published, usegmt=True)}</pubDate>"
            f"<description>{escape(description)}</description>"
            f"<source url={quoteattr(s.outlet_url)}>{escape(s.outlet)}</source></item>")


def bing_item(s: Story, market: str, tid: str) -> str:
    link = (f"http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid={tid}"
            f"&url={quote(s.url, safe='')}&c=1457{len(s.url)}&mkt={market.lower()}")
    return (f"<item><title>{escape(s.title)}</title><link>{escape(link)}</link>"
            f"<description>{escape(s.summary)}</description>"
            f"<pubDate>{format_datetime(s.published, usegmt=True)}</pubDate>"
            f"<News:Source>{escape(s.outlet)}</News:Source></item>")


def gdelt_article(s: Story) -> dict:
    return {"url": s.url, "url_mobile": "", "title": s.title,
            "seendate": s.published.strftime("%Y%m%dT%H%M%SZ"), "socialimage": "",
            "domain": urlsplit(s.outlet_url).hostname.removeprefix("www."),
            "language": s.language, "sourcecountry": "United States"}


class SearchProviders:
    """The three providers on one port; ``requests`` records (arrival time, provider, params)."""

    def __init__(self) -> None:
        self.stories: list[Story] = []
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        self.throttle: dict[str, list] = {}  # provider -> [429s left, Retry-After or None]
        self.gdelt_gap = 5.0
        self.lock = threading.Lock()
        self._last_gdelt = -1e9
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                provider = {"/rss/search": "google-news", "/news/search": "bing-news",
                            "/api/v2/doc/doc": "gdelt"}.get(parts.path)
                if provider is None:
                    return self._send(404, "text/html", b"<html>Not Found</html>")
                status, ctype, body, headers = owner.answer(provider, params)
                self._send(status, ctype, body, headers)

            def _send(self, status: int, ctype: str, body: bytes,
                      headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer(self, provider: str, params: dict[str, str]) -> tuple[int, str, bytes, dict]:
        now = time.monotonic()
        with self.lock:
            self.requests.append((now, provider, params))
            throttle = self.throttle.get(provider)
            if throttle and throttle[0] > 0:
                throttle[0] -= 1
                headers = {"Retry-After": throttle[1]} if throttle[1] is not None else {}
                return 429, "text/html", b"<html>Too Many Requests</html>", headers
            if provider == "gdelt":
                too_soon = now - self._last_gdelt < self.gdelt_gap
                self._last_gdelt = now
                if too_soon:
                    return 429, "text/plain", GDELT_SLOW_DOWN.encode(), {}
            stories = list(self.stories)
        query = params.get("query" if provider == "gdelt" else "q", "")
        found = [s for s in stories if (not s.providers or provider in s.providers)
                 and matches(query, f"{s.title} {s.summary}")]
        if provider == "google-news":
            return self._google(params, query, found)
        if provider == "bing-news":
            return self._bing(params, query, found)
        return self._gdelt(params, query, found)

    def _google(self, params, query, found) -> tuple[int, str, bytes, dict]:
        if not query:
            return 400, "text/html", b"<html>Bad Request</html>", {}
        items = "".join(google_item(s) for s in found[:100])
        body = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
                f"<generator>NFE/5.0</generator><title>{escape(query)} - Google News</title>"
                f"<link>https://news.google.com/search?q={quote(query)}</link>"
                f"<language>{escape(params.get('hl', 'en-US'))}</language>"
                "<webMaster>news-webmaster@google.com</webMaster>"
                "<description>Google News</description>"
                f"{items}</channel></rss>")
        return 200, "application/xml; charset=utf-8", body.encode(), {}

    def _bing(self, params, query, found) -> tuple[int, str, bytes, dict]:
        if params.get("format", "").lower() != "rss":
            return 200, "text/html; charset=utf-8", b"<!DOCTYPE html><html>results</html>", {}
        market = params.get("setmkt", "en-US")
        tid = f"{time.monotonic_ns():x}"
        items = "".join(bing_item(s, market, tid) for s in found)
        ns = escape(f"https://www.bing.com/news/search?q={quote(query)}&format=rss")
        body = (f'<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" '
                f'xmlns:News="{ns}"><channel><title>{escape(query)} - BingNews</title>'
                f"<link>{ns}</link><description>Search results</description>"
                f"{items}</channel></rss>")
        return 200, "application/rss+xml; charset=utf-8", body.encode(), {}

    def _gdelt(self, params, query, found) -> tuple[int, str, bytes, dict]:
        if error := gdelt_syntax_error(query):
            return 200, "text/html; charset=utf-8", error.encode(), {}
        if params.get("format") != "json" or params.get("mode", "").lower() != "artlist":
            return 200, "text/html; charset=utf-8", b"<html>artlist</html>", {}
        if not found:
            return 200, "application/json; charset=utf-8", b"{}", {}
        doc = {"articles": [gdelt_article(s) for s in found[:int(params.get("maxrecords", 75))]]}
        return 200, "application/json; charset=utf-8", json.dumps(doc).encode(), {}

    def of(self, provider: str) -> list[tuple[float, dict[str, str]]]:
        """The requests ``provider`` received: (arrival time, parameters)."""
        with self.lock:
            return [(t, p) for t, name, p in self.requests if name == provider]

    def start(self) -> SearchProviders:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
