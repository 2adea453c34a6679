"""Print lists of records as an aligned table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO
from urllib.parse import parse_qsl, unquote, urlsplit


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


def _cut_middle(text: str, width: int) -> str:
    """Keep both ends of a long text: "news.example/rss/sea…q=ICE"."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def short_url(url: str | None, width: int = 60,
              shared: frozenset[tuple[str, str]] = frozenset()) -> str:
    """Host, path and query without the scheme, decoded; the query parameters in ``shared``
    become "…"; cut in the middle when still longer than ``width``."""
    if not url:
        return ""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [f"{k}={v}" if v else k for k, v in pairs if (k, v) not in shared]
    query = "&".join(kept + (["…"] if len(kept) < len(pairs) else []))
    return _cut_middle(unquote(parts.netloc + parts.path) + (f"?{query}" if query else ""), width)


def distinct_urls(urls: Sequence[str], width: int = 60) -> list[str]:
    """``short_url`` of each feed, leaving out the query parameters that every feed on the
    same host and path shares, so search feeds show the query that tells them apart."""
    split = [urlsplit(u) for u in urls]
    groups: dict[tuple[str, str], list[set[tuple[str, str]]]] = {}
    for parts in split:
        params = set(parse_qsl(parts.query, keep_blank_values=True))
        groups.setdefault((parts.netloc, parts.path), []).append(params)
    shared = {key: frozenset(set.intersection(*sets)) if len(sets) > 1 else frozenset()
              for key, sets in groups.items()}
    return [short_url(u, width, shared[(p.netloc, p.path)]) for u, p in zip(urls, split,
                                                                            strict=True)]
