"""What one article-page fetch gives back: the bytes exactly as served plus how they came,
so extraction, evidence and re-checks all read the same value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["FAILURES", "HTML_TYPES", "UNREACHED", "Page", "is_html_type"]

HTML_TYPES = ("text/html", "application/xhtml+xml")

FAILURES = ("robots", "robots_unavailable", "timeout", "too_large", "not_html", "http",
            "redirects", "network", "bad_url")
"""Why a page was not fetched: robots.txt refused it; robots.txt could not be read (5xx, 429,
unreachable: the host is left alone for now); the deadline passed; the body passed the size
cap; it is not HTML; a non-200 answer (``status`` says which); too many redirects; the
connection failed; the URL cannot be asked."""

UNREACHED = "unreached"  # the caller's deadline (or a stop) came first: not tried, still due


def is_html_type(content_type: str | None) -> bool:
    """Whether a Content-Type header names HTML (a missing one is given the benefit)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


@dataclass(frozen=True)
class Page:
    """One page fetch. ``body`` is the content after transfer decoding (gzip undone), empty
    unless the answer was a 200 HTML page within the cap; ``headers`` are the final answer's,
    lower-case; ``redirects`` every URL before ``final_url``; ``fetched_at`` when the final
    answer arrived (when the fetch started, if none did)."""

    url: str
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    redirects: tuple[str, ...] = ()
    elapsed: float = 0.0
    failure: str | None = None  # one of FAILURES, None when the page was fetched
    error: str | None = None  # a readable account of the failure

    @property
    def ok(self) -> bool:
        """A 200 HTML page within every limit, with its bytes."""
        return self.failure is None

    @property
    def gone(self) -> bool:
        """The server says the page no longer exists (404 or 410)."""
        return self.status in (404, 410)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")
