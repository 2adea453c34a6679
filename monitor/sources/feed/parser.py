"""Turn fetched bytes into entries with feedparser (RSS/Atom) or json (JSON Feed)."""

from __future__ import annotations

import calendar
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import feedparser
import feedparser.api

from monitor.dedup.aggregators import host_of
from monitor.dedup.canonical import web_link
from monitor.sources.entry import Entry, Parsed, entry_key, make_entry
from monitor.sources.feed.fastparse import parse_fast
from monitor.sources.feed.urls import join
from monitor.text import clean_text, collapse, error_line, html_to_text

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

def _resolve(base_url: str, link: object) -> str | None:
    """Absolute link, or None when it is missing or not a usable URL."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        return join(base_url, link.strip())
    except ValueError:
        return None


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
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        return None


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type:
        return True
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head == b"{"


def parse_json_feed(body: bytes, base_url: str) -> Parsed:
    """JSON Feed 1.0/1.1, which feedparser does not read."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Parsed([], error=f"invalid JSON feed: {exc}")
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return Parsed([], error="JSON document is not a JSON Feed (no items list)")
    site = _site(base_url, doc.get("home_page_url"))
    entries, skipped = _read_entries(
        (item for item in doc["items"] if isinstance(item, dict)),
        lambda item: _entry_from_json(item, base_url, site))
    return Parsed(entries, title=clean_text(str(doc.get("title") or "")), **skipped)


def _entry_from_json(item: dict, base_url: str, site: str | None) -> Entry:
    link = _resolve(base_url, item.get("url") or item.get("external_url"))
    guid = item.get("id")
    guid = str(guid) if guid is not None else None
    title = html_to_text(str(item.get("title") or ""))
    summary = html_to_text(str(item.get("summary") or ""))
    content = html_to_text(str(item.get("content_html") or item.get("content_text") or ""))
    if not summary and content:
        summary = content[:500]
    published = _iso_to_dt(item.get("date_published")) or _iso_to_dt(item.get("date_modified"))
    return make_entry(guid, link, title, summary, content, published, site)


def _entry_from_feedparser(e, base_url: str, site: str | None) -> Entry:
    link = _resolve(base_url, e.get("feedburner_origlink")) or _resolve(base_url, e.get("link"))
    guid = e.get("id") or None
    title = collapse(html_to_text(e.get("title", "")))
    summary = html_to_text(e.get("summary", ""))
    content = " ".join(html_to_text(c.get("value", "")) for c in e.get("content", []) or [])
    published = (_struct_to_dt(e.get("published_parsed")) or _struct_to_dt(e.get("updated_parsed"))
                 or _struct_to_dt(e.get("created_parsed")))
    outlet, outlet_site = _outlet(e)
    return make_entry(guid, link, title, summary, content, published, site, outlet, outlet_site)


def _outlet(e) -> tuple[str | None, str | None]:
    """The publisher an aggregator names, and its site: the item's ``<source url>`` (Google
    News, planets) or Bing's ``News:Source``; without a name, the host of its site."""
    source = e.get("source")
    source = source if isinstance(source, dict) else {}
    href = source.get("href") if isinstance(source.get("href"), str) else None
    name = str(source.get("title") or e.get("news_source") or "").strip()
    return name or host_of(href), web_link(href.strip()) if href else None


def parse_feed(body: bytes, url: str, headers: dict[str, str] | None = None, *,
               fast: bool = True) -> Parsed:
    """Parse a fetched document; never raises, never touches the network or disk.

    ``fast``: try the lxml fast path first (feedparser stays the reference and the fallback)."""
    try:
        return _parse(body, url, headers, fast)
    except Exception as exc:  # noqa: BLE001 - a hostile feed must not stop the cycle
        return Parsed([], error=f"unparseable feed: {type(exc).__name__}: {exc}")


def _read_entries(raw, read) -> tuple[list[Entry], dict]:
    """``read`` applied to each raw entry; one that fails is skipped and counted (never its
    feed); one with nothing to show is left out. Returns the entries and Parsed's counts."""
    entries = []
    skipped, reason = 0, None
    for e in raw:
        try:
            entry = read(e)
        except Exception as exc:  # noqa: BLE001 - one bad entry must not lose its feed
            skipped += 1
            reason = reason or error_line(exc)
            continue
        if entry.title or entry.summary or entry.link:
            entries.append(entry)
    return entries, {"skipped": skipped, "skip_reason": reason}


def _distinct_keys(entries: list[Entry]) -> tuple[list[Entry], int]:
    """Entries that share a GUID but not a link (or, without links, a title) are different
    stories: each gets a key of its own from the GUID and its link, so none is dropped.
    Returns the entries and how many shared a GUID."""
    groups = Counter(e.key for e in entries)
    if len(groups) == len(entries):
        return entries, 0
    distinct: dict[str, set] = {}
    for e in entries:
        if groups[e.key] > 1:
            distinct.setdefault(e.key, set()).add(e.link or e.title)
    shared = {key for key, seen in distinct.items() if len(seen) > 1}
    if not shared:
        return entries, 0
    out = [replace(e, key=entry_key(None, None, e.key, e.link or e.title))
           if e.key in shared else e for e in entries]
    return out, sum(groups[key] for key in shared)


def _site(url: str, link: object) -> str | None:
    """The feed's own link (its site) when it is http(s): where a story without one points."""
    return web_link(_resolve(url, link))


def _parse(body: bytes, url: str, headers: dict[str, str] | None, fast: bool) -> Parsed:
    parsed = _parse_document(body, url, headers, fast)
    entries, shared = _distinct_keys(parsed.entries)
    return replace(parsed, entries=entries, shared_guids=shared) if shared else parsed


def _parse_document(body: bytes, url: str, headers: dict[str, str] | None,
                    fast: bool) -> Parsed:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if _looks_like_json(body, headers.get("content-type", "")):
        return parse_json_feed(body, url)
    quick = parse_fast(body, url, headers) if fast else None
    if quick is not None:
        site = _site(url, quick.link)
        entries, skipped = _read_entries(quick.entries,
                                         lambda e: _entry_from_feedparser(e, url, site))
        return Parsed(entries, title=html_to_text(quick.title), fast=True, **skipped)
    response_headers = {"content-location": url}
    if "content-type" in headers:
        response_headers["content-type"] = headers["content-type"]
    doc = feedparser.parse(body, response_headers=response_headers, sanitize_html=False,
                           resolve_relative_uris=False)
    site = _site(url, doc.feed.get("link"))
    entries, skipped = _read_entries(doc.entries, lambda e: _entry_from_feedparser(e, url, site))
    error = None
    if not entries and not skipped["skipped"] and not doc.get("version"):
        reason = doc.get("bozo_exception")
        error = f"not a feed: {reason}" if reason else "not a feed (no entries found)"
    return Parsed(entries, title=html_to_text(doc.feed.get("title", "")), error=error,
                      **skipped)
