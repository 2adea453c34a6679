"""Evidence on the shared article corpus (91 real pages): what keeping a page costs (zlib size
beside the raw bytes, SHA-256 + compression time per page, one WARC of every page), and how
change detection does beside a naive comparison (exact text after collapsing spaces), on three
edits of every page as read by full text's extraction:

- trivial: spacing doubled, a fresh "Updated …" timestamp and a share count added: no change;
- edited: one sentence of the body reworded: a change;
- headline: the headline reworded: a change.

Usage: python bench/evidence_bench.py [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.evidence.changes import compare  # noqa: E402
from monitor.evidence.warc import write_warc  # noqa: E402
from monitor.pages.extract import extract  # noqa: E402
from storage.models import PageVersion  # noqa: E402
from tests.support.articles import corpus_articles  # noqa: E402

STAMP = "Updated 4:05 PM EST, Tuesday December 1, 2026 · 3,480 shares. "


def naive(old: tuple[str, str], new: tuple[str, str]) -> bool:
    """The baseline: changed when the spacing-collapsed texts differ."""
    return any(" ".join(a.split()) != " ".join(b.split()) for a, b in zip(old, new, strict=True))


def edits(title: str, body: str) -> dict[str, tuple[tuple[str, str], bool]]:
    """Three edits of a read page: (new headline and body, whether it is a real change)."""
    sentences = [s for s in body.split(". ") if len(s) > 40]
    target = sentences[len(sentences) // 2] if sentences else body[:80]
    return {
        "trivial": ((title + " ", STAMP + body.replace(" ", "  ")), False),
        "edited": ((title, body.replace(target, "The agency disputed this account entirely", 1)),
                   True),
        "headline": (("Update: " + title.replace(" ", " new ", 1), body), True),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pages = corpus_articles()
    if not pages:
        print("the shared corpus is absent (../shared/corpus/articles)", file=sys.stderr)
        return 1
    raw = sum(len(html) for html, _ in pages.values())
    started = time.process_time()
    stored = sum(len(zlib.compress(html, 6)) for html, _ in pages.values())
    for html, _ in pages.values():
        hashlib.sha256(html).hexdigest()
    keep_ms = (time.process_time() - started) * 1000 / len(pages)
    now = datetime.now(UTC)
    versions = [PageVersion(story_id=1, version=n, kind="page", fetched_at=now,
                            url=f"https://example.org/{key}", final_url=f"https://example.org/{key}",
                            status=200, headers='[["content-type", "text/html"]]',
                            body=zlib.compress(html, 6), size=len(html),
                            sha256=hashlib.sha256(html).hexdigest(), title="", text="", change="")
                for n, (key, (html, _)) in enumerate(sorted(pages.items()), 1)]
    out = io.BytesIO()
    started = time.perf_counter()
    write_warc(versions, out, "ice-monitor")
    warc_s = time.perf_counter() - started

    read = {key: extract(html, f"https://example.org/{key}") for key, (html, _) in pages.items()}
    ours = {"trivial": 0, "edited": 0, "headline": 0}
    base = dict.fromkeys(ours, 0)
    compare_s = 0.0
    for page in read.values():
        old = (page.title, page.body)
        for name, (new, _real) in edits(page.title, page.body).items():
            started = time.perf_counter()
            ours[name] += compare(*old, *new) is not None
            compare_s += time.perf_counter() - started
            base[name] += naive(old, new)
    n = len(read)
    figures = {
        "pages": n, "raw_mb": round(raw / 1e6, 2), "stored_mb": round(stored / 1e6, 2),
        "stored_ratio": round(stored / raw, 3), "keep_ms_per_page": round(keep_ms, 2),
        "warc_mb": round(len(out.getvalue()) / 1e6, 2), "warc_s": round(warc_s, 3),
        "compare_ms_per_pair": round(compare_s * 1000 / (3 * n), 3),
        "ours_flagged": ours, "naive_flagged": base,
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"{n} pages: {figures['raw_mb']} MB as fetched, {figures['stored_mb']} MB stored "
          f"(zlib, {figures['stored_ratio']:.0%}); SHA-256 + compression "
          f"{figures['keep_ms_per_page']} ms CPU per page; one WARC of all: "
          f"{figures['warc_mb']} MB in {figures['warc_s']} s")
    print(f"change detection ({figures['compare_ms_per_pair']} ms per comparison), "
          f"pages flagged as changed out of {n}:")
    print(f"  {'edit':<10}{'should':>8}{'ours':>8}{'naive':>8}")
    for name, (_, real) in edits("t", "b").items():
        print(f"  {name:<10}{n if real else 0:>8}{ours[name]:>8}{base[name]:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
