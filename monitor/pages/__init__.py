"""Article pages: the polite fetcher (robots.txt, limits, deadline, cap) and the ``Page`` it
returns, shared by full-text extraction and evidence re-checks."""

from monitor.pages.fetcher import PageFetcher, fetch_pages
from monitor.pages.page import FAILURES, HTML_TYPES, Page, is_html_type
from monitor.pages.robots import RobotsCache, robots_url

__all__ = ["FAILURES", "HTML_TYPES", "Page", "PageFetcher", "RobotsCache", "fetch_pages",
           "is_html_type", "robots_url"]
