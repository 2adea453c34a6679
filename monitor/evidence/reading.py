"""From a fetched page to what evidence keeps: the raw bytes with their hash, and the headline
and body read with trafilatura from those same bytes (never its own downloader)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from monitor.evidence.changes import Change
from storage.evidence import Capture


class Fetched(Protocol):
    """What evidence reads of a page fetch (``monitor.pages.Page`` is one)."""

    @property
    def url(self) -> str: ...

    @property
    def fetched_at(self) -> datetime: ...

    @property
    def final_url(self) -> str | None: ...

    @property
    def status(self) -> int | None: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...

    @property
    def failure(self) -> str | None: ...


def read_page(body: bytes, url: str) -> tuple[str, str]:
    """(headline, main text) of an HTML page, read by full text's extraction (trafilatura on
    the bytes we fetched)."""
    from monitor.pages.extract import extract  # trafilatura loads on first use

    page = extract(body, url)
    return page.title, page.body


def capture(page: Fetched, kind: str = "page", change: Change | None = None,
            read: tuple[str, str] | None = None) -> Capture:
    """A version to store: raw bytes, their SHA-256, the final URL and headers as fetched."""
    final = page.final_url or page.url
    title, text = read if read is not None else (
        read_page(page.body, final) if kind == "page" else ("", ""))
    return Capture(url=page.url, final_url=final, status=page.status or 0,
                   headers=[(k, v) for k, v in page.headers.items()], body=page.body,
                   sha256=hashlib.sha256(page.body).hexdigest(), fetched_at=page.fetched_at,
                   title=title, text=text, kind=kind,
                   change=change.to_json() if change else "")


def same_place(a: str, b: str) -> bool:
    """Whether two URLs name the same page (scheme, ``www.``, trailing slash, fragment aside)."""
    def key(url: str) -> tuple[str, str, str]:
        p = urlsplit(url)
        host = (p.hostname or "").lower().removeprefix("www.")
        return host, (p.path or "/").rstrip("/") or "/", p.query
    return key(a) == key(b)


def gone(page: Fetched) -> bool:
    """The server says the page no longer exists."""
    return page.status in (404, 410)
