"""Score `monitor match` on the labelled dev set beside keyword and naive-fuzzy baselines.

Usage: python bench/match_score.py [--data PATH ...] [--watchlists DIR] [--in-process] [--split]
       [--json]

--data may be given several times (e.g. the dev set and tests/data/match-heldout.jsonl, stories
never used to write the rules); --split also scores the odd and even items of each file apart.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config.watchlists import load_watchlists  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "match-dev.jsonl"
ENTITIES = ("Amazon", "ICE", "Wayfair", "CoreCivic", "GEO Group")
FUZZY_THRESHOLD = 90

Predictor = Callable[[list[dict]], list[set[str]]]


def read_items(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def monitor_match(items: list[dict], watchlists: Path, in_process: bool) -> list[set[str]]:
    """Run the real `monitor match` path: a subprocess by default, else match_stream in-process."""
    payload = "".join(
        json.dumps({"id": it["id"], "title": it["title"], "summary": it.get("summary", "")}) + "\n"
        for it in items
    )
    if in_process:
        from monitor.cli.match import match_stream

        out = io.StringIO()
        code = match_stream(watchlists, io.StringIO(payload), out)
        text = out.getvalue()
    else:
        proc = subprocess.run(
            [sys.executable, "-m", "monitor", "match", "--watchlists", str(watchlists)],
            input=payload, capture_output=True, text=True, cwd=ROOT, check=False,
        )
        code, text = proc.returncode, proc.stdout
        if code != 0:
            sys.stderr.write(proc.stderr)
    if code != 0:
        raise SystemExit(f"monitor match exited with {code}")
    rows = [json.loads(line) for line in text.splitlines()]
    if len(rows) != len(items):
        raise SystemExit(f"monitor match wrote {len(rows)} lines for {len(items)} items")
    return [{h["entity"] for h in row["hits"]} for row in rows]


def _names(watchlists: Path) -> dict[str, list[str]]:
    """Entity name plus aliases, from the shipped watchlists, for the baselines."""
    names: dict[str, list[str]] = {}
    for wl in load_watchlists(watchlists):
        for entity in wl.entities:
            names.setdefault(entity.name, []).extend(entity.names)
    return names


def keyword_baseline(items: list[dict], watchlists: Path) -> list[set[str]]:
    """What a feed reader's keyword filter does: case-insensitive whole-word names and aliases."""
    patterns = {
        entity: re.compile(r"\b(?:" + "|".join(re.escape(a) for a in aliases) + r")\b", re.I)
        for entity, aliases in _names(watchlists).items()
    }
    return [
        {e for e, rx in patterns.items() if rx.search(f"{it['title']}\n{it.get('summary', '')}")}
        for it in items
    ]


def fuzzy_baseline(items: list[dict], watchlists: Path) -> list[set[str]]:
    """Naive fuzzy: rapidfuzz partial_ratio of every alias against the lower-cased story."""
    from rapidfuzz import fuzz

    names = _names(watchlists)
    out = []
    for it in items:
        text = f"{it['title']}\n{it.get('summary', '')}".lower()
        out.append({
            e for e, aliases in names.items()
            if any(fuzz.partial_ratio(a.lower(), text) >= FUZZY_THRESHOLD for a in aliases)
        })
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(items: list[dict], predicted: list[set[str]]) -> dict[str, tuple[float, float, float]]:
    """Micro and per-entity precision, recall and F1 over (item, entity) pairs."""
    counts = {e: [0, 0, 0] for e in ENTITIES}
    for it, got in zip(items, predicted, strict=True):
        gold = set(it["expected"])
        for e in ENTITIES:
            c = counts[e]
            c[0] += e in got and e in gold
            c[1] += e in got and e not in gold
            c[2] += e in gold and e not in got
    result = {e: prf(*c) for e, c in counts.items()}
    result["micro"] = prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return result


def report(label: str, figures: dict[str, tuple[float, float, float]]) -> None:
    print(f"\n{label}")
    print(f"  {'':10} {'P':>6} {'R':>6} {'F1':>6}")
    for key in ("micro", *ENTITIES):
        p, r, f = figures[key]
        print(f"  {key:10} {p:6.3f} {r:6.3f} {f:6.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append")
    parser.add_argument("--watchlists", type=Path, default=ROOT / "watchlists")
    parser.add_argument("--in-process", action="store_true",
                        help="call match_stream directly instead of spawning `monitor match`")
    parser.add_argument("--json", action="store_true", help="print figures as one JSON object")
    parser.add_argument("--split", action="store_true",
                        help="also score odd and even items apart (how much figures vary)")
    args = parser.parse_args(argv)
    paths = args.data or [DEFAULT_DATA]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"data not found: {missing[0]} (pass --data PATH); nothing to score",
              file=sys.stderr)
        return 1
    results: dict[str, dict] = {}
    for path in paths:
        items = read_items(path)
        parts = {"": items}
        if args.split:
            parts |= {" (odd items)": items[::2], " (even items)": items[1::2]}
        for suffix, part in parts.items():
            label = f"{path.name}{suffix}"
            results[label] = _score_all(part, args)
            if not args.json:
                print(f"\n=== {len(part)} items from {path}{suffix}")
                for run, figures in results[label].items():
                    report(run, figures)
    if args.json:
        print(json.dumps(results))
    return 0


def _score_all(items: list[dict], args: argparse.Namespace) -> dict:
    runs: dict[str, Predictor] = {
        "monitor match": lambda xs: monitor_match(xs, args.watchlists, args.in_process),
        "keyword baseline (case-insensitive whole words)": lambda xs: keyword_baseline(
            xs, args.watchlists),
        f"naive rapidfuzz baseline (partial_ratio >= {FUZZY_THRESHOLD})": lambda xs: fuzzy_baseline(
            xs, args.watchlists),
    }
    return {label: score(items, run(items)) for label, run in runs.items()}


if __name__ == "__main__":
    sys.exit(main())
