"""Backdated coverage for spike tests: four weeks of ordinary news, a steady entity, a quiet
one that bursts in the last half hour, and one that goes from nothing to two stories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

BURST = 12


def history(now: datetime | None = None) -> list[tuple[str, str, datetime]]:
    """(guid, title, published) items, newest first; every date is in the past."""
    now = now or datetime.now(UTC)
    items: list[tuple[str, str, datetime]] = []
    for k in range(1, 28 * 20):  # 20 unwatched stories a day: what shares are shares of
        items.append((f"bg-{k}", f"City council approves park budget item {k}",
                      now - k * timedelta(hours=1.2)))
    for k in range(1, 28 * 6):  # CoreCivic, steady: six a day, one every four hours
        items.append((f"cc-{k}", f"CoreCivic faces lawsuit {k} over detention conditions",
                      now - k * timedelta(hours=4) + timedelta(minutes=7)))
    for k in range(1, 28):      # GEO Group, quiet: one a day ...
        items.append((f"geo-{k}", f"GEO Group annual filing note {k}",
                      now - k * timedelta(days=1) - timedelta(hours=3)))
    for k in range(BURST):      # ... then a burst in the last half hour
        items.append((f"burst-{k}", f"GEO Group detention center contract scandal, report {k}",
                      now - timedelta(minutes=2 + 2 * k)))
    for k in range(2):          # Wayfair: from nothing to two stories
        items.append((f"wf-{k}", f"Wayfair workers protest furniture sales, day {k}",
                      now - timedelta(minutes=40 + k)))
    return sorted(items, key=lambda item: item[2], reverse=True)


def feed(items: list[tuple[str, str, datetime]], outlet: str = "Loopback News") -> bytes:
    """RSS 2.0 of ``items``; links are https://news.example/<guid>."""
    body = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{guid}</link>"
        f"<guid>{guid}</guid><pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, title, when in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(outlet)}</title><link>https://news.example/</link>"
            f"<description>test</description>{body}</channel></rss>").encode()
