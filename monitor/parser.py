"""Turn fetched bytes into entries with feedparser (RSS/Atom) or json (JSON Feed)."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import feedparser.api

from monitor.fastparse import parse_fast
from monitor.neardup import band_keys, normalise
from monitor.text import collapse, html_to_text
from monitor.urls import canonical_url

MAX_ENTITY_CHARS = 64
_ENTITY_DECL = re.compile(rb"""<!ENTITY\b(?:[^>"']|"[^"]*"|'[^']*')*>""")
_SAFE_ENTITY = re.compile(rb'<!ENTITY\s+\w+\s+"[^&%%"<]{0,%d}"\s*>' % MAX_ENTITY_CHARS)
_original_replace_doctype = feedparser.api.replace_doctype


def _keep_entity(m: re.Match[bytes]) -> bytes:
    """A short literal entity stays (on its own line, where feedparser looks for it); external,
    parameter, nested or long ones go, so nothing is fetched and nothing can blow up."""
    decl = m.group(0)
    return b"\n" + decl if _SAFE_ENTITY.fullmatch(decl) else b""


def _replace_doctype_bounded(data: bytes):
    """feedparser's DOCTYPE rewrite, after dropping every entity declaration but short literals."""
    start = re.search(rb"<\w", data)
    if start and b"<!ENTITY" in data[: start.start()]:
        head = _ENTITY_DECL.sub(_keep_entity, data[: start.start()])
        data = head.replace(b"<!DOCTYPE", b"\n<!DOCTYPE") + data[start.start():]
    return _original_replace_doctype(data)


feedparser.api.replace_doctype = _replace_doctype_bounded

MAX_KEY_BYTES = 1000  # longer GUIDs are hashed so the unique index stays within limits


@dataclass(frozen=True)
class Entry:
    """One story as a feed presents it, reduced to plain text."""

    key: str
    guid: str | None
    link: str | None
    title: str
    summary: str
    content: str
    published: datetime | None
    dedup_text: str = ""
    dedup_keys: tuple[int, ...] = ()
    canonical: str | None = None
    matches: tuple | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """Entries plus what went wrong, if anything (a broken feed keeps what it has)."""

    entries: list[Entry]
    title: str = ""
    error: str | None = None
    fast: bool = False  # parsed by the lxml fast path rather than feedparser


def entry_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    """Identity of an entry within its feed: GUID, else link, else a hash of its text."""
    for candidate in (guid, link):
        if candidate:
            if len(candidate.encode()) <= MAX_KEY_BYTES:
                return candidate
            return "sha1:" + hashlib.sha1(candidate.encode()).hexdigest()
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


def _resolve(base_url: str, link: object) -> str | None:
    """Absolute link, or None when it is missing or not a usable URL."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        return urljoin(base_url, link.strip())
    except ValueError:
        return None


def make_entry(guid: str | None, link: str | None, title: str, summary: str, content: str,
               published: datetime | None) -> Entry:
    """An Entry with its identity key and near-duplicate fingerprint."""
    text = normalise(title, summary or content[:2000])
    return Entry(entry_key(guid, link, title, summary), guid, link, title, summary, content,
                 published, text, band_keys(text), canonical_url(link))


def _struct_to_dt(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _iso_to_dt(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type:
        return True
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head == b"{"


def parse_json_feed(body: bytes, base_url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1, which feedparser does not read."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ParsedFeed([], error=f"invalid JSON feed: {exc}")
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return ParsedFeed([], error="JSON document is not a JSON Feed (no items list)")
    entries = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = _resolve(base_url, item.get("url") or item.get("external_url"))
        guid = item.get("id")
        guid = str(guid) if guid is not None else None
        title = html_to_text(str(item.get("title") or ""))
        summary = html_to_text(str(item.get("summary") or ""))
        content = html_to_text(str(item.get("content_html") or item.get("content_text") or ""))
        if not summary and content:
            summary = content[:500]
        published = _iso_to_dt(item.get("date_published")) or _iso_to_dt(item.get("date_modified"))
        entries.append(make_entry(guid, link, title, summary, content, published))
    return ParsedFeed(entries, title=str(doc.get("title") or ""))


def _entry_from_feedparser(e, base_url: str) -> Entry:
    link = _resolve(base_url, e.get("link"))
    guid = e.get("id") or None
    title = collapse(html_to_text(e.get("title", "")))
    summary = html_to_text(e.get("summary", ""))
    content = " ".join(html_to_text(c.get("value", "")) for c in e.get("content", []) or [])
    published = (_struct_to_dt(e.get("published_parsed")) or _struct_to_dt(e.get("updated_parsed"))
                 or _struct_to_dt(e.get("created_parsed")))
    return make_entry(guid, link, title, summary, content, published)


def parse_feed(body: bytes, url: str, headers: dict[str, str] | None = None, *,
               fast: bool = True) -> ParsedFeed:
    """Parse a fetched document; never raises, never touches the network or disk.

    ``fast``: try the lxml fast path first (feedparser stays the reference and the fallback)."""
    try:
        return _parse(body, url, headers, fast)
    except Exception as exc:  # noqa: BLE001 - a hostile feed must not stop the cycle
        return ParsedFeed([], error=f"unparseable feed: {type(exc).__name__}: {exc}")


def _entries(raw, url: str) -> list[Entry]:
    """Entries from feedparser-shaped dicts, skipping those with nothing to show."""
    entries = []
    for e in raw:
        try:
            entry = _entry_from_feedparser(e, url)
        except ValueError:
            continue
        if entry.title or entry.summary or entry.link:
            entries.append(entry)
    return entries


def _parse(body: bytes, url: str, headers: dict[str, str] | None, fast: bool) -> ParsedFeed:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if _looks_like_json(body, headers.get("content-type", "")):
        return parse_json_feed(body, url)
    quick = parse_fast(body, url, headers) if fast else None
    if quick is not None:
        return ParsedFeed(_entries(quick.entries, url), title=html_to_text(quick.title),
                          fast=True)
    response_headers = {"content-location": url}
    if "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    doc = feedparser.parse(body, response_headers=response_headers, sanitize_html=False,
                           resolve_relative_uris=False)
    entries = _entries(doc.entries, url)
    error = None
    if not entries and not doc.get("version"):
        reason = doc.get("bozo_exception")
        error = f"not a feed: {reason}" if reason else "not a feed (no entries found)"
    return ParsedFeed(entries, title=html_to_text(doc.feed.get("title", "")), error=error)
