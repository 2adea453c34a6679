"""Move feed lists in and out of the config as OPML (what every feed reader imports/exports).

Import appends ``[[feeds]]`` tables to the end of the config file as text, so the admin's
comments and layout stay as they were; the result is re-parsed before it replaces the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.config import FeedConfig
from storage.errors import MonitorError


@dataclass(frozen=True)
class OpmlFeed:
    """One outline with an ``xmlUrl``."""

    url: str
    title: str


class OpmlError(MonitorError, ValueError):
    """The file is not OPML we can read."""


def read_opml(path: Path) -> list[OpmlFeed]:
    """Every outline with an http(s) ``xmlUrl``, in document order, nested folders flattened.

    The stdlib parser never fetches external entities and expat caps entity expansion.
    """
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise OpmlError(f"{path}: not readable OPML: {exc}") from exc
    if root.tag != "opml":
        raise OpmlError(f"{path}: root element is <{root.tag}>, not <opml>")
    feeds, seen = [], set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url.lower().startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        feeds.append(OpmlFeed(url, (outline.get("title") or outline.get("text") or "").strip()))
    return feeds


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(value, ensure_ascii=False)


def append_feeds(config_path: Path, feeds: Iterable[OpmlFeed], existing: Iterable[str],
                 note: str = "Imported from OPML") -> list[OpmlFeed]:
    """Append the feeds whose URL the config lacks, after a ``# note`` line; returns those
    added."""
    known = set(existing)
    new = [f for f in feeds if f.url not in known]
    if not new:
        return []
    text = config_path.read_text(encoding="utf-8")
    blocks = []
    for feed in new:
        block = f"[[feeds]]\nurl = {_toml_string(feed.url)}\n"
        if feed.title:
            block += f"name = {_toml_string(feed.title)}\n"
        blocks.append(block)
    sep = "" if text.endswith("\n") or not text else "\n"
    updated = text + sep + f"\n# {note}\n" + "\n".join(blocks)
    tomllib.loads(updated)
    fd, tmp = tempfile.mkstemp(dir=config_path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(updated)
        os.chmod(tmp, config_path.stat().st_mode & 0o777)
        os.replace(tmp, config_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return new


def to_opml(feeds: Sequence[FeedConfig], title: str = "ice-monitor feeds") -> str:
    """An OPML 2.0 document listing the configured feeds."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = feed.name or feed.url
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
