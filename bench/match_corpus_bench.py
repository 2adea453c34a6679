"""Matching real text: the shared corpus's real feeds' entries and article bodies, by script.

Real news is rarely plain ASCII: curly quotes and dashes in most stories, accented letters in
Spanish, German or Portuguese ones. Each group is matched against the shipped watchlists,
beside exact Aho-Corasick over the same texts (the aliases lower-cased, no typos, no rules)
as the baseline, in this run. Best of ``--runs`` passes (the matcher's word caches warm after
the first, as in a running daemon), CPU time of this process.
Usage: python bench/match_corpus_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.articles import corpus_articles  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real-feeds"
Text = tuple[str, str, str]


def feed_entries() -> list[Text]:
    """(title, summary, content) of every entry the monitor's parser reads in the real feeds."""
    from monitor.sources.feed.parser import parse_feed

    out: list[Text] = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.suffix in {".tsv", ".md"}:
            continue
        parsed = parse_feed(path.read_bytes(), "https://outlet.example/feed", {})
        out += [(e.title, e.summary, e.content) for e in parsed.entries]
    return out


def script(text: Text) -> str:
    """ascii; wide punctuation (ASCII letters, other characters between words); other letters."""
    from monitor.matching.normalize import spaced_words

    joined = "".join(text)
    if joined.isascii():
        return "ascii"
    return "wide punctuation" if spaced_words(joined).isascii() else "other letters"


def best_us(texts: Sequence[Text], match: Callable[[Text], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        for text in texts:
            match(text)
        best = min(best, time.process_time() - started)
    return best * 1e6 / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is absent: nothing to measure")
    import ahocorasick

    from monitor.config.watchlists import load_watchlists
    from monitor.matching import Matcher

    watchlists = load_watchlists(ROOT / "watchlists")
    matcher = Matcher(watchlists)
    automaton = ahocorasick.Automaton()
    for watchlist in watchlists:
        for entity in watchlist.entities:
            for name in entity.names:
                automaton.add_word(name.lower(), entity.name)
    automaton.make_automaton()

    groups: dict[str, list[Text]] = {}
    for text in feed_entries():
        groups.setdefault(f"feed entries, {script(text)}", []).append(text)
    for _html, body in corpus_articles().values():
        groups.setdefault(f"article bodies, {script(('', '', body))}", []).append(("", "", body))
    print(f"{'group':<34} {'texts':>5} {'chars':>7} {'matcher':>10} {'Aho-Corasick':>13}  ratio")
    for name, texts in sorted(groups.items()):
        chars = sum(map(len, ("".join(t) for t in texts))) // len(texts)
        ours = best_us(texts, lambda t: matcher.match(*t), args.runs)
        exact = best_us(texts, lambda t: list(automaton.iter(" ".join(t).lower())), args.runs)
        print(f"{name:<34} {len(texts):5} {chars:7} {ours:8.1f} us {exact:10.1f} us  "
              f"{exact / ours:5.2f} x")


if __name__ == "__main__":
    main()
