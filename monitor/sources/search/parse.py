"""Read the providers' answers into entries, outlet included: Google News and Bing News RSS
(outlet in ``<source>`` / ``News:Source``) and GDELT's ArtList JSON (outlet: the domain).
No I/O; never raises (a bad answer is that query's error)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from monitor.sources.entry import Entry, Parsed, make_entry
from monitor.text import clean_text, error_line, html_to_text

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)
MAX_ERROR = 200


def _rss_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):  # a year like 99999999
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _child(item: etree._Element, local: str) -> etree._Element | None:
    """The first child named ``local`` in any namespace (Bing's ``News:`` prefix is bound to
    a URL that changes with the query)."""
    for child in item:
        if isinstance(child.tag, str) and etree.QName(child).localname == local:
            return child
    return None


def _text(item: etree._Element, local: str) -> str:
    child = _child(item, local)
    return clean_text(child.text or "") if child is not None else ""


def _bing_guid(link: str) -> str | None:
    """A Bing item's identity: the publisher URL its click-through link carries (the link's
    other parameters change from one answer to the next)."""
    try:
        return parse_qs(urlsplit(link).query).get("url", [None])[0]
    except ValueError:
        return None


def parse_rss(body: bytes, provider: str) -> Parsed:
    """Google News or Bing News RSS: an entry per ``<item>``, its outlet from ``<source>``
    (Google, whose ``url`` is the outlet's site: what merges its opaque link with the outlet's
    own copy) or ``News:Source`` (Bing)."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return Parsed([], error=f"{provider}: not an RSS answer ({error_line(exc, MAX_ERROR)})")
    if root is None or etree.QName(root).localname != "rss":
        return Parsed([], error=f"{provider}: not an RSS answer")
    entries: list[Entry] = []
    for item in root.iter("item"):
        link = _text(item, "link")
        guid = _text(item, "guid") or (_bing_guid(link) if provider == "bing-news" else None)
        source = _child(item, "source" if provider == "google-news" else "Source")
        outlet = clean_text(source.text or "") if source is not None else ""
        site = source.get("url") if source is not None else None
        entries.append(make_entry(guid or None, link or None, _text(item, "title"),
                                  html_to_text(_text(item, "description")), "",
                                  _rss_date(_text(item, "pubDate")), outlet=outlet or None,
                                  outlet_site=site or None))
    return Parsed(entries, title=_text(root.find("channel"), "title")
                  if root.find("channel") is not None else "")


def _seen(value: object) -> datetime | None:
    """GDELT's ``seendate``: 20240918T031500Z."""
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_gdelt(body: bytes) -> Parsed:
    """GDELT's ArtList JSON; an answer that is not JSON is GDELT refusing the query (it says
    why in plain text, with HTTP 200)."""
    text = body.decode("utf-8", "replace")
    try:
        doc = json.loads(text, strict=False)  # GDELT leaves control characters in titles
    except ValueError:
        return Parsed([], error="gdelt refused the query: " + (
            " ".join(text.split())[:MAX_ERROR] or "empty answer"))
    if not isinstance(doc, dict):
        return Parsed([], error="gdelt: unexpected answer (not a JSON object)")
    articles = doc.get("articles", [])  # no match: GDELT answers {}
    entries, skipped = [], 0
    for article in articles if isinstance(articles, list) else []:
        url = article.get("url") if isinstance(article, dict) else None
        if not isinstance(url, str) or not url:
            skipped += 1
            continue
        title, domain = article.get("title"), article.get("domain")
        entries.append(make_entry(url, url, clean_text(str(title or "")), "", "",
                                  _seen(article.get("seendate")),
                                  outlet=str(domain) if domain else None))
    return Parsed(entries, skipped=skipped,
                  skip_reason="an article without a url" if skipped else None)
