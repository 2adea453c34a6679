"""Print lists of records as an aligned table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import TextIO


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
