"""An article page's main text and metadata, by trafilatura from bytes we fetched (never its
downloader), tuned for alerts: comments left out, precision favoured (F1 in the README)."""

from __future__ import annotations

import contextlib
import gzip
import logging
import re
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from lxml import html as lxml_html

from monitor.language import detect

__all__ = ["Extracted", "extract", "paragraph_around", "read_saved"]

MIN_DETECT_CHARS = 40  # below this a language guess is noise: the page's own lang is used
CONTEXT_CHARS = 600  # a paragraph longer than this is cut to the sentences around the hit
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_LANG = re.compile(r"^[A-Za-z]{2,3}")

logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it logs every odd page


@dataclass(frozen=True)
class Extracted:
    """What the monitor reads of a page: ``body`` has one paragraph per line."""

    url: str | None
    title: str
    body: str
    author: str | None
    published: str | None  # ISO date as the page states it
    language: str | None

    def as_json(self, source: str) -> dict[str, Any]:
        """The ``monitor extract`` object for this page read from ``source``."""
        data = asdict(self)
        del data["author"]
        return {"source": source, **data}


def read_saved(data: bytes) -> bytes:
    """A saved page's HTML: gzip (the corpus, ``wget --compression``) is undone; a corrupt
    gzip file is a ValueError saying so."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"corrupt gzip file: {exc}") from None


def _declared_language(html: bytes) -> str | None:
    """The page's own ``<html lang>``, reduced to its language subtag."""
    match = re.search(rb"<html[^>]*\slang=[\"']?([A-Za-z]{2,3})", html[:4096], re.IGNORECASE)
    return match.group(1).decode().lower() if match else None


def _language(body: str, html: bytes) -> str | None:
    if len(body) >= MIN_DETECT_CHARS:
        return detect(body)
    return _declared_language(html)


def extract(html: bytes, url: str | None = None) -> Extracted:
    """Main text and metadata of ``html``; a page with no article gives an empty body."""
    if not html.strip():
        return Extracted(url, "", "", None, None, None)
    # here: a cycle that reads no page never loads trafilatura (~0.1 s)
    from trafilatura import bare_extraction
    from trafilatura.settings import DEFAULT_CONFIG
    from trafilatura.utils import load_html

    try:
        tree = load_html(html, DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE"))
        doc = None if tree is None else bare_extraction(
            tree, url=url, include_comments=False, favor_precision=True)  # reads a copy
    except (ValueError, TypeError, lxml_html.etree.ParserError):
        doc = None
    if doc is None:
        return Extracted(url, "", "", None, None, _declared_language(html))
    data = doc if isinstance(doc, dict) else doc.as_dict()
    body = (data.get("text") or "").strip()
    try:
        title, author, found_url, date = _metadata(tree, url)
    except (ValueError, TypeError):  # an odd page's metadata; its text is still worth reading
        title = author = found_url = date = None
    return Extracted(url or found_url, (title or "").strip(), body, author or None,
                     date or None, _language(body, html))


def _metadata(tree: Any, url: str | None) -> tuple[str | None, ...]:
    """(title, author, URL, date) as trafilatura's ``extract_metadata`` finds them, without the
    site name, categories, tags and licence it also reads (~7 % of reading a page) that the
    monitor never keeps; tests/unit/pages checks the answers stay trafilatura's."""
    from htmldate import find_date
    from trafilatura.metadata import (
        examine_meta,
        extract_author,
        extract_meta_json,
        extract_title,
        extract_url,
    )
    from trafilatura.settings import DEFAULT_CONFIG, set_date_params

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    with contextlib.suppress(Exception):  # trafilatura's own guard: its JSON-LD reader is fragile
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    dates = set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))
    meta.date = find_date(tree, **{**dates, "url": meta.url})
    meta.clean_and_trim()
    return meta.title, meta.author, meta.url, meta.date


def paragraph_around(body: str, start: int, end: int) -> str:
    """The paragraph of ``body`` holding ``[start, end)``; a long one is cut to the sentence
    (and its neighbours while they fit) that holds the span."""
    first = body.rfind("\n", 0, start) + 1
    last = body.find("\n", end)
    paragraph = body[first:last if last >= 0 else len(body)].strip()
    if len(paragraph) <= CONTEXT_CHARS:
        return paragraph
    offset = start - first
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(paragraph)] + [len(paragraph)]
    i = max(n for n, b in enumerate(bounds[:-1]) if b <= offset)
    lo, hi = bounds[i], bounds[i + 1]
    while True:
        grown = False
        if i > 0 and hi - bounds[i - 1] <= CONTEXT_CHARS:
            i, lo, grown = i - 1, bounds[i - 1], True
        j = bounds.index(hi)
        if j + 1 < len(bounds) and bounds[j + 1] - lo <= CONTEXT_CHARS:
            hi, grown = bounds[j + 1], True
        if not grown:
            break
    text = paragraph[lo:hi].strip()
    if len(text) > CONTEXT_CHARS:  # one very long sentence: a window around the span
        centre = offset - lo
        text = "…" + paragraph[lo:][max(0, centre - CONTEXT_CHARS // 2):
                                    centre + CONTEXT_CHARS // 2].strip() + "…"
    return text
