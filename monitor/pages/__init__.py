"""Article pages: the polite fetcher (robots.txt, limits, deadline, cap) and the ``Page`` it
returns, shared by full-text extraction and evidence re-checks; extraction and the page step.

Names load on first use: a parse worker imports ``monitor.pages.read`` alone, without the
HTTP stack."""

from importlib import import_module
from typing import Any

_EXPORTS = {"PageFetcher": "monitor.pages.fetcher", "fetch_pages": "monitor.pages.fetcher",
            "FAILURES": "monitor.pages.page", "HTML_TYPES": "monitor.pages.page",
            "Page": "monitor.pages.page", "is_html_type": "monitor.pages.page",
            "RobotsCache": "monitor.pages.robots", "robots_url": "monitor.pages.robots",
            "Extracted": "monitor.pages.extract", "extract": "monitor.pages.extract"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'monitor.pages' has no attribute {name!r}")
