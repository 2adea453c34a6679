"""Fast path for plain, well-formed RSS 2.0, RSS 1.0 and Atom 1.0: lxml instead of feedparser.

It reads only what ``parser`` uses (id, link, title, summary, content, dates, feed title) and
reproduces feedparser's rules for them, using feedparser's own helpers for encodings, URLs and
dates. Anything it does not model (DOCTYPE, odd encodings, markup inside text elements, repeated
or nested elements that feedparser would treat specially) returns None: feedparser decides.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass

import feedparser.encodings
from feedparser.datetimes import _parse_date
from feedparser.exceptions import NonXMLContentType
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from monitor.sources.feed.urls import readable_base
from storage.errors import MonitorError
from storage.links import is_plain_absolute

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)

ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}

# feedparser's element names (prefix_localname, lowercased) and what each one feeds
ROLES = {
    "title": "title", "dc_title": "title", "media_title": "title",
    "link": "link", "guid": "id", "id": "id",
    "description": "summary", "summary": "summary", "dc_description": "summary",
    "media_description": "summary", "itunes_summary": "summary", "abstract": "summary",
    "content": "content", "content_encoded": "content", "fullitem": "content",
    "body": "content", "xhtml_body": "content",
    "published": "published", "issued": "published", "pubdate": "published",
    "dcterms_issued": "published",
    "updated": "updated", "modified": "updated", "lastbuilddate": "updated",
    "dc_date": "updated", "dcterms_modified": "updated",
    "created": "created", "dcterms_created": "created",
}
# elements that switch feedparser into another context (or another entry) inside an entry
DISRUPTIVE = {"item", "entry", "channel", "feed", "rss", "image", "textinput", "svg", "math",
              "itunes_image", "itunes_link"}
TEXT_TYPES = {"text/plain", "text/html"}
# other elements the parser reads, kept as feedparser keeps them (Bing's outlet, the link a
# FeedBurner feed wraps)
PLAIN_EXTRAS = {"news_source", "feedburner_origlink"}
_REF_LIKE = re.compile("&([A-Za-z0-9_]+);")
_DATE_KEYS = {"published": "published_parsed", "updated": "updated_parsed",
              "created": "created_parsed"}


class Unsupported(MonitorError):
    """The document needs feedparser."""


@dataclass
class FastFeed:
    """What feedparser would have returned, restricted to the keys the parser reads."""

    title: str
    entries: list[dict]
    link: str | None = None  # the feed's own link (its site)


_NAMES: dict[str, str] = {}


def _name(tag: str, prefix: str | None) -> str:
    """feedparser's name for an element: canonical namespace prefix + lowercased local name."""
    key = f"{prefix}|{tag}"
    name = _NAMES.get(key)
    if name is None:
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
            low = uri.lower()
            known = "" if "backend.userland.com/rss" in low else _PREFIXES.get(low, prefix or "")
        else:
            known, local = "", tag
        name = f"{known}_{local.lower()}" if known else local.lower()
        if len(_NAMES) < 10_000:
            _NAMES[key] = name
    return name


def _text(value: str | None) -> str:
    """feedparser's clean-up of element text: strip, undo UTF-8-read-as-Latin-1, map cp1252."""
    output = (value or "").strip()
    if not output.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")
        output = output.translate(_cp1252)
    return output


def _base(parent: str, elem) -> str:
    """The base URI in effect inside ``elem`` (feedparser's xml:base rules)."""
    return _join_base(parent, elem.get(XML_BASE) or elem.get("base") or parent)


def _resolved(base: str, elem, value: str) -> str:
    """feedparser's join of ``value`` to the base in effect inside ``elem``; a plainly absolute
    link is itself unless that base is unreadable (feedparser then gives "")."""
    within = _base(base, elem)
    if is_plain_absolute(value) and readable_base(within):
        return value
    return _urljoin(within, value)


@functools.lru_cache(maxsize=256)
def _join_base(parent: str, given: str) -> str:
    """Cached: every entry of a feed repeats the same base computation."""
    if parent:
        return make_safe_absolute_uri(parent, given) or parent
    return _urljoin(parent, given)


def _attrs(elem) -> dict[str, str]:
    """Attributes as feedparser sees them: lowercased names; rel and type values lowercased."""
    out = {}
    for key, value in elem.attrib.items():
        if key[0] == "{":
            uri, local = key[1:].split("}", 1)
            prefix = _PREFIXES.get(uri.lower())
            if prefix is None:
                raise Unsupported("namespaced attribute")
            key = f"{prefix}:{local}" if prefix else local
        key = key.lower()
        out[key] = value.lower() if key in ("rel", "type") else value
    return out


def _content_type(attrs: dict[str, str], default: str) -> str:
    if "mode" in attrs or "src" in attrs:
        raise Unsupported("content mode/src")
    kind = _FeedParserMixin.map_content_type(attrs.get("type", default))
    if kind not in TEXT_TYPES:
        raise Unsupported(f"content type {kind}")
    return kind


class _Texts:
    """feedparser's rules for title, summary and content, replayed in document order.

    The first non-empty title wins over later ones; a media:title never moves that mark. A
    second description-like element becomes content while no content was seen; content fills
    the summary if none was given; among summaries the shallowest wins."""

    def __init__(self, entry: dict) -> None:
        self.entry = entry
        self.title_depth = -1
        self.depth_of: dict[str, int] = {}
        self.has_content = False

    def _store(self, key: str, value: str, depth: int) -> None:
        old = self.depth_of.get(key)
        if old is None or depth <= old:
            self.depth_of[key] = depth
            self.entry[key] = value

    def element(self, elem, name: str, role: str, depth: int) -> None:
        if len(elem):
            raise Unsupported(f"markup inside <{name}>")
        attrs = _attrs(elem)
        if role == "title":
            _content_type(attrs, "text/plain")
            value = _text(elem.text)
            if not -1 < self.title_depth <= depth:
                self._store("title", value, depth)
            if value and name != "media_title":
                self.title_depth = depth
        elif role == "summary":
            as_content = (name != "abstract" and "summary" in self.entry
                          and not self.has_content)
            if as_content:
                self._content(attrs, "text/plain", elem)
            else:
                _content_type(attrs, "text/plain" if name in ("summary", "itunes_summary",
                                                              "abstract") else "text/html")
                self._store("summary", _text(elem.text), depth)
        else:
            if name in ("body", "xhtml_body"):
                raise Unsupported("xhtml body")
            self._content(attrs, "text/plain" if name == "content" else "text/html", elem)

    def _content(self, attrs: dict[str, str], default: str, elem) -> None:
        _content_type(attrs, default)
        self.has_content = True
        value = _text(elem.text)
        self.entry.setdefault("content", []).append({"value": value})
        self.entry.setdefault("summary", value)


TEXT_ROLES = {"title", "summary", "content"}
NESTABLE = {"media_title", "media_description"}


def _walk(elem, depth: int, texts: _Texts) -> None:
    """Descendants of an entry child: media titles and descriptions count, as in feedparser;
    any other element feedparser would route to our fields (or elsewhere) means fallback."""
    for sub in elem:
        name = _name(sub.tag, sub.prefix)
        if name in NESTABLE:
            texts.element(sub, name, ROLES[name], depth)
        elif name in ROLES or name in DISRUPTIVE or name == "source":
            raise Unsupported(f"nested <{name}>")
        else:
            _walk(sub, depth + 1, texts)


def _entry(item, base: str, atom: bool) -> dict:
    """One entry dict with feedparser's keys, or Unsupported."""
    base = _base(base, item)
    entry: dict = {}
    texts = _Texts(entry)
    seen: set[str] = set()
    if not atom:
        about = item.get(f"{{{RDF}}}about")
        if about:
            entry["id"] = about
    for child in item:
        name = _name(child.tag, child.prefix)
        if name in DISRUPTIVE:
            raise Unsupported(f"<{name}> in an entry")
        if name == "source":
            _source(entry, child, texts)
            continue
        if name.lower() in PLAIN_EXTRAS:
            if len(child):
                raise Unsupported(f"markup inside <{name}>")
            entry[name.lower()] = _text(child.text)
            continue
        role = ROLES.get(name)
        if role in TEXT_ROLES:
            texts.element(child, name, role, 1)
            continue
        _walk(child, 2, texts)
        if role is None:
            continue
        attrs = _attrs(child)
        if role == "link":
            _link(entry, child, attrs, base)
            continue
        if role in seen:
            raise Unsupported(f"repeated {role}")
        seen.add(role)
        if len(child):
            raise Unsupported(f"markup inside <{name}>")
        if role == "id":
            permalink = attrs.get("ispermalink", "true") == "true"
            value = _text(child.text)
            if value and permalink:
                value = _resolved(base, child, value)
            entry["id"] = value
            if permalink and "link" not in entry:
                entry["link"] = value
        else:
            entry[_DATE_KEYS[role]] = _parse_date(_text(child.text))
    return entry


def _source(entry: dict, child, texts: _Texts) -> None:
    """RSS 2.0 ``<source url="…">Outlet</source>`` as feedparser keeps it (the last one wins,
    and it resets the title mark); an Atom source with elements is feedparser's."""
    if len(child):
        raise Unsupported("<source> with elements")
    attrs = _attrs(child)
    source = {"href": attrs["url"]} if "url" in attrs else {}
    value = _text(child.text)
    if value:
        source["title"] = value
    entry["source"] = source
    texts.title_depth = -1


def _link(entry: dict, child, attrs: dict[str, str], base: str) -> None:
    """feedparser's <link>: an alternate HTML href (Atom) or the element text (RSS)."""
    href = attrs.get("url", attrs.get("uri", attrs.get("href"))) or attrs.get("href")
    if href is not None:
        rel = attrs.get("rel", "alternate")
        kind = _FeedParserMixin.map_content_type(
            attrs.get("type", "application/atom+xml" if rel == "self" else "text/html"))
        if rel == "alternate" and kind in _FeedParserMixin.html_types:
            entry["link"] = _resolved(base, child, href)
        return
    if len(child):
        raise Unsupported("markup inside <link>")
    if "link" in entry and entry.get("_text_link"):
        raise Unsupported("repeated link")
    value = _text(child.text)
    if value:
        value = _resolved(base, child, value)
    entry["link"] = _REF_LIKE.sub(r"&\g<1>", value.replace("&amp;", "&"))
    entry["_text_link"] = True


def _feed_title(channel) -> str:
    titles = [c for c in channel if ROLES.get(_name(c.tag, c.prefix)) == "title"]
    if len(titles) > 1:
        raise Unsupported("repeated feed title")
    if not titles:
        return ""
    if len(titles[0]):
        raise Unsupported("markup inside feed title")
    _content_type(_attrs(titles[0]), "text/plain")
    return _text(titles[0].text)


def _feed_link(channel, base: str) -> str | None:
    """The channel's link by the entries' rules; None when they do not apply (it only stands in
    for an entry link that was dropped, so an odd one is not worth feedparser's time)."""
    found: dict = {}
    try:
        for child in channel:
            if ROLES.get(_name(child.tag, child.prefix)) == "link":
                _link(found, child, _attrs(child), base)
    except Unsupported:
        return None
    return found.get("link")


def _structure(root):
    """(channel element, entry elements, is Atom) for the three formats handled."""
    if root.tag == "rss":
        channels = root.findall("channel")
        if len(channels) != 1 or len(root) != 1:
            raise Unsupported("rss without exactly one channel")
        items = channels[0].findall("item")
        return channels[0], items, False
    if root.tag == f"{{{ATOM}}}feed":
        return root, root.findall(f"{{{ATOM}}}entry"), True
    if root.tag == f"{{{RDF}}}RDF":
        channels = root.findall(f"{{{RSS1}}}channel")
        if len(channels) != 1:
            raise Unsupported("rdf without exactly one channel")
        return channels[0], root.findall(f"{{{RSS1}}}item"), False
    raise Unsupported(f"root <{root.tag}>")


def _check_entry_count(root, entries: list, atom: bool) -> None:
    """Entries anywhere else (or spelled differently) are feedparser's business."""
    wanted = "entry" if atom else "item"
    found = sum(1 for e in root.iter(etree.Element) if _name(e.tag, e.prefix) == wanted)
    if found != len(entries):
        raise Unsupported("entries outside the expected place")


def parse_fast(body: bytes, url: str, headers: dict[str, str]) -> FastFeed | None:
    """Entries as feedparser would give them, or None when feedparser must handle the document.

    ``headers`` are lowercased response headers (only content-type matters)."""
    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head or b"<!DOCTYPE" in body:
        return None
    fp_headers = {"content-location": url}
    if "content-type" in headers:
        fp_headers["content-type"] = headers["content-type"]
    result: dict = {}
    data = feedparser.encodings.convert_to_utf8(fp_headers, body, result)
    if not result.get("encoding") or (
            result.get("bozo") and not isinstance(result.get("bozo_exception"), NonXMLContentType)):
        return None
    try:
        root = etree.fromstring(data, _PARSER)
        channel, items, atom = _structure(root)
        if not items:
            return None
        _check_entry_count(root, items, atom)
        if any(ROLES.get(_name(c.tag, c.prefix)) == "content" for c in channel):
            return None  # feed-level content would carry into the first entry in feedparser
        base = _base(url, root)
        if root.tag == "rss":
            base = _base(base, channel)
        entries = []
        for item in items:
            entry = _entry(item, base, atom)
            entry.pop("_text_link", None)
            entries.append(entry)
        return FastFeed(_feed_title(channel), entries, _feed_link(channel, base))
    except (etree.XMLSyntaxError, Unsupported, ValueError):
        return None
