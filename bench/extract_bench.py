"""Full text: extraction F1 on the shared article corpus (4-word shingles against
ground-truth.json, the article-extraction-benchmark's measure) for ours beside trafilatura's
defaults and readability-lxml; pages extracted per second per core (CPU time); and the time
from a new entry to its alert with full text on, beside an alert from the headline alone.

Usage: python bench/extract_bench.py [--rounds N] [--alerts N] [--json]

The readability-lxml baseline needs ``pip install readability-lxml`` run on its own (not in the
``test`` extra: pip 23's resolver fails on its and trafilatura's two spellings of lxml's
html-clean extra when they are resolved together); without it that row is left out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from monitor.pages.extract import extract  # noqa: E402
from monitor.text import html_to_text  # noqa: E402
from tests.support.articles import (  # noqa: E402
    ArticleServer,
    corpus_articles,
    precision_recall_f1,
    shingle_counts,
)
from tests.support.servers import WebhookReceiver  # noqa: E402

Extractor = Callable[[bytes], str]
EXTRACTORS: dict[str, Extractor] = {
    "ours (monitor.pages.extract)": lambda html: extract(html).body,
    "trafilatura defaults": lambda html: trafilatura.extract(html) or "",
}
try:
    from readability import Document

    EXTRACTORS["readability-lxml"] = lambda html: html_to_text(Document(html).summary())
except ImportError:
    print("readability-lxml is not installed: its row is left out", file=sys.stderr)


def score(corpus: dict[str, tuple[bytes, str]], rounds: int) -> dict[str, dict[str, float]]:
    """F1, precision, recall and pages per CPU-second of each extractor."""
    out = {}
    for name, run in EXTRACTORS.items():
        counts = [shingle_counts(truth, run(html)) for html, truth in corpus.values()]
        precision, recall, f1 = precision_recall_f1(counts)
        started = time.process_time()
        for _ in range(rounds):
            for html, _ in corpus.values():
                run(html)
        cpu = time.process_time() - started
        out[name] = {"f1": round(f1, 3), "precision": round(precision, 3),
                     "recall": round(recall, 3),
                     "pages_per_cpu_s": round(rounds * len(corpus) / cpu, 1)}
    return out


PAGE = ("<!DOCTYPE html><html lang=en><head><title>{title}</title></head><body><nav>Home</nav>"
        "<article><h1>{title}</h1>{paragraphs}</article><footer>Herald</footer></body></html>")
FILLER = ("<p>The council met on Tuesday evening to discuss the budget for the coming year, "
          "and members debated road repairs, library hours and the parks programme.</p>")
DEEP = ("<p>Records show the county signed a new agreement with the GEO Group to run the "
        "detention centre on the edge of town for another five years.</p>")


def time_to_alert(full_text: bool, runs: int) -> list[float]:
    """Seconds from the start of a cycle that finds a new entry to its alert at a webhook:
    a headline-only entry whose page names GEO Group in its ninth paragraph (full text on),
    or the name in the headline with full_text = false (the baseline)."""
    from monitor.pipeline.cycle import poll_cycle
    from monitor.pipeline.deliver import deliver_due
    from monitor.service.runtime import load_runtime

    times = []
    for n in range(runs):
        site, hook = ArticleServer(robots="User-agent: *\nDisallow:\n").start(), \
            WebhookReceiver().start()
        try:
            title = f"County budget meeting {n}" if full_text else f"GEO Group contract {n}"
            site.add("/a", PAGE.format(title=title, paragraphs=FILLER * 8 + DEEP + FILLER)
                     .encode())
            feed = site.add("/feed.xml", (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>'
                f"<item><title>{title}</title><link>{site.url('/a')}</link>"
                f"<guid>{n}</guid></item></channel></rss>").encode(),
                headers={"Content-Type": "application/rss+xml"})
            with tempfile.TemporaryDirectory() as tmp:
                config = Path(tmp) / "config.toml"
                config.write_text(
                    f'watchlists = {{ dir = "{ROOT / "watchlists"}" }}\n[storage]\n'
                    f'url = "sqlite:///{tmp}/m.db"\n[polling]\nbacklog = "off"\n'
                    f'[[feeds]]\nurl = "{feed}"\nfull_text = {str(full_text).lower()}\n'
                    f'[[subscribers]]\nname = "hooks"\nnotify = ["{hook.url}"]\n')
                rt = load_runtime(config)
                try:
                    started = time.monotonic()
                    poll_cycle(rt, force=True)
                    deliver_due(rt)  # returns once the webhook answered: arrival is recorded
                    if len(hook.arrived) != 1:
                        raise RuntimeError(f"{len(hook.arrived)} alerts arrived, not 1")
                    times.append(hook.arrived[0] - started)
                finally:
                    rt.close()
        finally:
            site.stop()
            hook.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the corpus timed")
    parser.add_argument("--alerts", type=int, default=5, help="new entries timed to alert")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpus = corpus_articles()
    if not corpus:
        sys.exit("../shared/corpus/articles is absent")
    figures = {"pages": len(corpus), "extraction": score(corpus, args.rounds)}
    full, headline = time_to_alert(True, args.alerts), time_to_alert(False, args.alerts)
    figures["entry_to_alert_s"] = {
        "full text (page fetched, extracted, body matched)": round(statistics.median(full), 3),
        "headline only, full_text = false (baseline)": round(statistics.median(headline), 3)}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{len(corpus)} pages of ../shared/corpus/articles, 4-word shingle F1 "
          "(article-extraction-benchmark measure)")
    print(f"{'extractor':32} {'F1':>6} {'prec':>6} {'recall':>6} {'pages/s/core':>13}")
    for name, f in figures["extraction"].items():
        print(f"{name:32} {f['f1']:6.3f} {f['precision']:6.3f} {f['recall']:6.3f} "
              f"{f['pages_per_cpu_s']:13.1f}")
    print(f"\nnew entry -> alert at a webhook, median of {args.alerts} (loopback):")
    for name, t in figures["entry_to_alert_s"].items():
        print(f"  {name}: {t:.3f} s")


if __name__ == "__main__":
    main()
