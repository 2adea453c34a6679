"""Reduce feed HTML to plain text for matching, storage and alerts."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
          "blockquote", "section", "article", "header", "footer", "figure", "figcaption"}
_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_RAW = {"title", "textarea", "xmp", "noembed", "noframes", "plaintext"}  # raw text in HTML


class _TextExtractor(HTMLParser):
    """Collects visible text, turning block tags into spaces so words do not run together."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


# C0 controls but tab, LF and CR; DEL and C1; bidi embeddings, overrides and isolates; lone
# surrogates; U+FFFE/U+FFFF. XML 1.0 (lxml), PostgreSQL (NUL) or UTF-8 (surrogates) refuse
# them, and on a terminal, in a subject or a chat message they hide or reorder text.
_UNSAFE_CLASS = ("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                 "\ud800-\udfff\ufffe\uffff")
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
# What no one-line value (a watchlist name, a query filter) holds: the above, tab and breaks too.
CONTROL_CHARS = re.compile(f"[\t\n\r{_UNSAFE_CLASS}]")


def error_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: first line of the message``, that line cut to ``limit``: for a one-line log or
    skip reason (a database error goes on for lines of SQL and parameters)."""
    first = (str(exc).strip().splitlines() or [""])[0][:limit]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def clean_text(value: str) -> str:
    """``value`` without the characters no database, XML writer or reader should get.

    Printable text (the usual case) holds none of them: that check is twice as fast."""
    if value.isprintable() or not _UNSAFE.search(value):
        return value
    return _UNSAFE.sub("", value)


def _clean_collapsed(text: str) -> str:
    """Collapsed text, cleaned; collapsed again only when something was removed."""
    cleaned = clean_text(text)
    return text if cleaned is text else collapse(cleaned)


def collapse(text: str) -> str:
    """Collapse runs of whitespace into single spaces (str.split and regex \\s agree on what
    whitespace is; split is several times faster)."""
    return " ".join(text.split())


_TAG = re.compile(r"""<(/?)([a-zA-Z][^\t\n\r\f />\x00]*)(?:[^<>"']|"[^"<>]*"|'[^'<>]*')*>""")


def quick_text(value: str) -> str | None:
    """The same text as ``parser_text`` for plain tag soup (no comments, scripts, stray ``<``),
    several times faster; None when the fragment needs the real parser."""
    parts = []
    last = 0
    for m in _TAG.finditer(value):
        segment = value[last:m.start()]
        if "<" in segment:
            return None
        tag = m.group(2).lower()
        if tag in _SKIP or tag in _RAW:
            return None
        parts.append(html.unescape(segment) if "&" in segment else segment)
        if tag in _BLOCK:
            parts.append(" ")
        last = m.end()
    tail = value[last:]
    if "<" in tail:
        return None
    parts.append(html.unescape(tail) if "&" in tail else tail)
    return _clean_collapsed(collapse("".join(parts)))


def parser_text(value: str) -> str:
    """Visible text by the standard library's HTML parser: the route for any markup."""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return _clean_collapsed(collapse("".join(parser.parts)))


def html_to_text(value: str | None) -> str:
    """Visible text of an HTML fragment (plain text passes through, entities decoded), collapsed
    and without control characters (see ``clean_text``): what is stored, shown and matched."""
    if not value:
        return ""
    if "<" not in value:
        return _clean_collapsed(collapse(html.unescape(value)))
    quick = quick_text(value)
    if quick is not None:
        return quick
    try:
        return parser_text(value)
    except Exception:  # noqa: BLE001 - malformed markup must not lose the story
        return _clean_collapsed(collapse(html.unescape(re.sub(r"<[^>]*>", " ", value))))
