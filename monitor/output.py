"""Print lists of records as an aligned table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO
from urllib.parse import urlsplit


def _cell(value: object, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def write_records(records: Sequence[dict], columns: Sequence[str], fmt: str,
                  out: TextIO = sys.stdout, widths: dict[str, int] | None = None) -> None:
    """Write ``records`` in ``fmt`` (table, json or csv); tables truncate long cells."""
    if fmt == "json":
        json.dump(list(records), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
        return
    widths = widths or {}
    cells = [[_cell(r.get(c), widths.get(c, 40)) for c in columns] for r in records]
    sizes = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(sizes[i]) for i, c in enumerate(columns)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(sizes[i]) for i, v in enumerate(row)).rstrip() + "\n")


def _span(seconds: float) -> str:
    """A duration as a person says it: "45 s", "4 min", "2 h", "3 d" (rounded)."""
    if seconds < 60:
        return f"{round(seconds)} s"
    if (minutes := round(seconds / 60)) < 60:
        return f"{minutes} min"
    if (hours := round(seconds / 3600)) < 48:
        return f"{hours} h"
    return f"{round(seconds / 86400)} d"


def relative_time(when: datetime | None, now: datetime) -> str:
    """"in 4 min" or "2 h ago" for a table a person reads; "" when there is no time."""
    if when is None:
        return ""
    seconds = (when - now).total_seconds()
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(-seconds)} ago"


def short_url(url: str | None, width: int = 60) -> str:
    """Host, path and query without the scheme, cut in the middle so both ends stay readable.

    Search feeds share a long prefix and differ in their query at the end."""
    if not url:
        return ""
    parts = urlsplit(url)
    text = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]
