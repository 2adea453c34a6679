"""Reduce feed HTML to plain text for matching, storage and alerts."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
          "blockquote", "section", "article", "header", "footer", "figure", "figcaption"}
_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_SPACE = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """Collects visible text, turning block tags into spaces so words do not run together."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
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


def collapse(text: str) -> str:
    """Collapse runs of whitespace into single spaces."""
    return _SPACE.sub(" ", text).strip()


def html_to_text(value: str | None) -> str:
    """Visible text of an HTML fragment (plain text passes through, entities decoded)."""
    if not value:
        return ""
    if "<" not in value:
        return collapse(html.unescape(value))
    parser = _TextExtractor()
    try:
        parser.feed(value)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed markup must not lose the story
        return collapse(html.unescape(re.sub(r"<[^>]*>", " ", value)))
    return collapse("".join(parser.parts))
