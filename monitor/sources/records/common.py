"""What the record kinds share: how amounts, agencies and recipients read in a title, the
window of dates a poll asks for, and the entry a record becomes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitor.sources.base import SourceRecord
from monitor.sources.entry import Entry, make_entry

OVERLAP = timedelta(days=5)  # late-reported actions (FPDS allows days) are still read
DEFAULT_LOOKBACK = 7 * 86400.0
DESCRIPTION_CHARS = 120

SHORT_AGENCIES = {  # sub-tier agencies as their own press releases name them
    "u.s. immigration and customs enforcement": "ICE",
    "immigration and customs enforcement": "ICE",
    "u.s. customs and border protection": "CBP",
    "u.s. citizenship and immigration services": "USCIS",
    "department of homeland security": "DHS",
    "homeland security department": "DHS",
    "office of procurement operations": "DHS Procurement",
    "federal emergency management agency": "FEMA",
    "u.s. marshals service": "U.S. Marshals",
    "federal bureau of prisons": "BOP",
    "executive office for immigration review": "EOIR",
}
_UPPER_WORDS = {"LLC", "LP", "LLP", "USA", "US", "II", "III", "IV", "PLC", "NA", "GEO"}
_LOWER_WORDS = {"of", "and", "the", "for", "in", "on", "at", "to"}


def money(amount: float | None) -> str:
    """``$12.3 million``, ``$1.2 billion``, ``$950,000``; "" for no amount."""
    if amount is None:
        return ""
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{sign}${value / size:,.1f} {word}".replace(".0 ", " ")
    return f"{sign}${value:,.0f}"


def exact_money(amount: float | None) -> str:
    """``$12,345,678.90``: the figure a record states."""
    return "" if amount is None else f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def short_agency(name: str) -> str:
    """The agency as a headline names it (ICE, CBP…), else its own name."""
    return SHORT_AGENCIES.get(name.strip().casefold(), name.strip())


def display_name(name: str) -> str:
    """A recipient in headline case: "THE GEO GROUP, INC." reads "The GEO Group, Inc."."""
    if not name or name != name.upper():
        return name
    words = []
    for index, word in enumerate(name.split()):
        bare = re.sub(r"[^A-Z0-9]", "", word)
        if bare in _UPPER_WORDS:
            words.append(word)
        elif index and word.lower() in _LOWER_WORDS:
            words.append(word.lower())
        else:
            words.append(word.capitalize() if bare.isalpha() else word)
    return " ".join(words)


def clip(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """``text`` on one line, cut at a word with "…" when longer than ``limit``."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def window(source: SourceRecord, now: datetime | None = None) -> tuple[date, date]:
    """The dates a poll reads: from the last poll less an overlap, or the whole ``lookback``
    on a first poll and after a failed one (nothing a failure skipped is lost)."""
    now = now or datetime.now(UTC)
    lookback = timedelta(seconds=float(source.params.get("lookback", DEFAULT_LOOKBACK)))
    start = now - lookback
    if source.last_polled_at is not None and not source.failing:
        start = max(start, source.last_polled_at - OVERLAP)
    return start.date(), now.date()


def day(value: Any) -> datetime | None:
    """A ``YYYY-MM-DD`` (or ISO date-time) as an aware datetime, None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def record_entry(key: str, link: str, title: str, summary: str, published: datetime | None,
                 facts: Mapping[str, Any]) -> Entry:
    """A record as an entry: its own identity ``key``, and its facts for the records table."""
    return replace(make_entry(key, link, title, summary, "", published), record=dict(facts))


def facts_line(parts: Mapping[str, str]) -> str:
    """The record's facts as one line ("Agency: ICE · Recipient: …"): an alert's lede."""
    return " · ".join(f"{name}: {value}" for name, value in parts.items() if value)
