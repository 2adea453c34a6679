"""Speed benchmark for the matcher against Aho-Corasick (exact) and naive all-pairs rapidfuzz.

Each (method, K) runs in its own subprocess so peak memory (ru_maxrss) is measured per run.
Usage: python bench/match_bench.py [--quick] [--articles N] [--ks 5,100,1000,10000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS_PER_ARTICLE = 80
PLANT_RATE = 0.5
NAIVE_CALL_BUDGET = 150_000
NAIVE_THRESHOLD = 90
SUFFIXES = ("Group", "Holdings", "Logistics", "Systems", "Partners", "Industries", "Capital",
            "Security", "Services", "Solutions")
FILLER = (
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "was", "with", "he", "as",
    "it", "by", "at", "from", "his", "an", "were", "are", "which", "this", "be", "or", "has",
    "had", "not", "but", "they", "have", "their", "been", "one", "who", "its", "new", "after",
    "also", "two", "first", "other", "more", "said", "would", "year", "people", "state", "could",
    "city", "police", "government", "company", "report", "officials", "week", "some", "over",
    "about", "into", "than", "when", "last", "time", "most", "three", "only", "while", "months",
    "according", "percent", "million", "under", "between", "since", "county", "public", "federal",
    "school", "health", "court", "plan", "program", "workers", "local", "market", "price",
    "prices", "during", "before", "group", "told", "board", "members", "house", "national",
    "election", "data", "policy", "agency", "news", "water", "energy", "business", "family",
    "children", "study", "service", "president", "billion", "officer", "officers", "statement",
    "investigation", "community", "thursday", "tuesday", "monday", "friday", "support", "budget",
    "housing", "climate", "season", "project", "research", "hospital", "council", "region,",
    "meeting", "long-term", "high-speed", "well-known", "state-run", "cross-border", "year-old,",
    "spokesperson.", "analysts.", "contract", "contracts", "shares", "investors", "revenue",
    "quarter", "growth", "staff", "union", "strike", "travel"
)
SYLLABLES = ("ka", "ro", "mi", "ven", "tal", "bri", "dor", "lux", "ne", "qua", "zen", "pol",
             "ster", "vin", "mar", "tek", "sol", "gra", "fen", "dax", "lor", "cen", "tri", "vo",
             "bel", "cor", "dri", "eno", "fal", "gun", "hax", "ilo", "jor", "kel", "mun", "nor",
             "pra", "rik", "sav", "tor", "ul", "wen", "yar", "zo", "phi", "sta", "gle", "bo")


def _word(rng: random.Random, lo: int, hi: int) -> str:
    while True:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))
        if lo <= len(w) <= hi:
            return w.capitalize()


def make_names(k: int, seed: int = 7) -> list[tuple[str, ...]]:
    """K entities with three names each (brand + suffix, brand, long form).

    Name words are kept two or more edits apart, as distinct real organisations' names mostly are.
    """
    from monitor.matching.index import TokenIndex

    rng = random.Random(seed)
    seen = TokenIndex()
    for word in (*FILLER, *SUFFIXES):
        seen.add(word.strip(".,").lower())
    out: list[tuple[str, ...]] = []
    while len(out) < k:
        a, b = _word(rng, 7, 12), _word(rng, 7, 11)
        if a == b or seen.lookup(a.lower()) or seen.lookup(b.lower()):
            continue
        seen.add(a.lower())
        seen.add(b.lower())
        out.append((f"{a} {rng.choice(SUFFIXES)}", b, f"{a} {b} {rng.choice(SUFFIXES)}"))
    return out


def typo(rng: random.Random, name: str) -> str:
    """One-letter typo (substitute, delete, insert or transpose) in the name's longest word."""
    words = name.split()
    i = max(range(len(words)), key=lambda j: len(words[j]))
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    op = rng.choice("sdit")
    letter = rng.choice("aeioustrnl")
    if op == "s":
        w = w[:p] + (letter if letter != w[p] else "x") + w[p + 1:]
    elif op == "d":
        w = w[:p] + w[p + 1:]
    elif op == "i":
        w = w[:p] + letter + w[p:]
    else:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2:] if w[p] != w[p + 1] else w[:p] + "q" + w[p + 1:]
    words[i] = w
    return " ".join(words)


def make_articles(n: int, names: list[tuple[str, ...]], seed: int = 11):
    """``(text, planted_entity_index | None)``: half carry a name, a third of those misspelt."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(FILLER) for _ in range(WORDS_PER_ARTICLE)]
        words[0] = words[0].capitalize()
        planted = None
        if rng.random() < PLANT_RATE:
            planted = rng.randrange(len(names))
            name = rng.choice(names[planted])
            if rng.random() < 1 / 3:
                name = typo(rng, name)
            words.insert(rng.randrange(len(words)), name)
        out.append((" ".join(words) + ".", planted))
    return out


def run_matcher(names, articles):
    from monitor.config.watchlists import Entity, Watchlist
    from monitor.matching import Matcher

    entities = tuple(Entity(name=f"E{i}", aliases=ns) for i, ns in enumerate(names))
    matcher = Matcher([Watchlist("bench", "", entities, "<bench>")])
    yield
    for text, _ in articles:
        title, _, body = text.partition(". ")
        yield {int(h.entity[1:]) for h in matcher.match(title, body)}


def run_aho(names, articles):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for i, ns in enumerate(names):
        for n in ns:
            automaton.add_word(n.lower(), i)
    automaton.make_automaton()
    yield
    for text, _ in articles:
        yield {i for _, i in automaton.iter(text.lower())}


def run_naive(names, articles):
    from rapidfuzz import fuzz

    flat = [(n.lower(), i) for i, ns in enumerate(names) for n in ns]
    yield
    for text, _ in articles:
        low = text.lower()
        yield {i for n, i in flat if fuzz.partial_ratio(n, low, score_cutoff=NAIVE_THRESHOLD)}


METHODS = {"matcher": run_matcher, "aho-corasick": run_aho, "naive-rapidfuzz": run_naive}


def worker(method: str, k: int, n_articles: int) -> dict:
    """Build one method's index for K entities, time it over the articles, report rate and RSS."""
    names = make_names(k)
    articles = make_articles(n_articles, names)
    t0 = time.perf_counter()
    runner = METHODS[method](names, articles)
    next(runner)
    build = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    found = list(runner)
    elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
    planted = [(p, got) for (_, p), got in zip(articles, found, strict=True) if p is not None]
    recall = sum(p in got for p, got in planted) / max(len(planted), 1)
    false_hits = sum(len(got - {p}) for (_, p), got in zip(articles, found, strict=True))
    return {
        "method": method, "k": k, "articles": n_articles, "rate": n_articles / cpu,
        "wall_rate": n_articles / elapsed,
        "build_s": build, "recall": recall, "false_hits": false_hits,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def interleaved(k: int, n_articles: int, batch: int = 250) -> dict:
    """Matcher and Aho-Corasick in one process, alternating batches of articles, so load from
    other processes on the machine falls on both alike; each article is matched once by each."""
    names = make_names(k)
    articles = make_articles(n_articles, names)
    runners = {m: METHODS[m](names, articles) for m in ("matcher", "aho-corasick")}
    for runner in runners.values():
        next(runner)
    cpu = dict.fromkeys(runners, 0.0)
    for _ in range(0, n_articles, batch):
        for method, runner in runners.items():
            c0 = time.process_time()
            for _ in islice(runner, batch):
                pass
            cpu[method] += time.process_time() - c0
    return {"k": k, "ratio": cpu["aho-corasick"] / cpu["matcher"],
            "matcher_rate": n_articles / cpu["matcher"],
            "aho_rate": n_articles / cpu["aho-corasick"]}


def spawn(method: str, k: int, n: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, str(k), str(n)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles instead of 20,000")
    parser.add_argument("--articles", type=int)
    parser.add_argument("--ks", default="5,100,1000,10000")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        method, k, n = args.worker
        result = interleaved(int(k), int(n)) if method == "interleaved" else worker(
            method, int(k), int(n))
        print(json.dumps(result))
        return 0
    n = args.articles or (2_000 if args.quick else 20_000)
    ks = [int(k) for k in args.ks.split(",")]
    print(f"{n} synthetic articles of ~{WORDS_PER_ARTICLE} words; {PLANT_RATE:.0%} carry a planted "
          "name, a third of those with a one-letter typo. Single process per run.")
    print("naive-rapidfuzz runs on a subsample (shown) and its rate is extrapolated.")
    print("art/s is per CPU second (the run's own process time), so other load on the machine")
    print("does not skew the comparison; wall art/s is shown beside it.\n")
    print(f"{'K':>6} {'method':16} {'articles':>8} {'art/s':>10} {'wall':>10} {'recall':>7} "
          f"{'false':>6} {'build s':>8} {'peak MB':>8}")
    rates: dict[tuple[str, int], float] = {}
    for k in ks:
        naive_n = max(5, min(n, NAIVE_CALL_BUDGET // (3 * k)))
        for method in METHODS:
            r = spawn(method, k, naive_n if method == "naive-rapidfuzz" else n)
            rates[(method, k)] = r["rate"]
            print(f"{k:>6} {method:16} {r['articles']:>8} {r['rate']:>10,.0f} "
                  f"{r['wall_rate']:>10,.0f} {r['recall']:>7.3f} "
                  f"{r['false_hits']:>6} {r['build_s']:>8.2f} {r['rss_mb']:>8.1f}")
        m, a, z = rates[("matcher", k)], rates[("aho-corasick", k)], rates[("naive-rapidfuzz", k)]
        print(f"{'':>6} matcher = {m / a:.3f}x Aho-Corasick (1/{a / m:.1f}), {m / z:,.0f}x naive")
        r = spawn("interleaved", k, n)
        print(f"{'':>6} interleaved in one process: matcher {r['matcher_rate']:,.0f}/s, "
              f"Aho-Corasick {r['aho_rate']:,.0f}/s: matcher = {r['ratio']:.3f}x Aho-Corasick\n")
    if len(ks) > 1:
        first, last = ks[0], ks[-1]
        drop = 1 - rates[("matcher", last)] / rates[("matcher", first)]
        print(f"matcher rate change K={first} -> K={last}: {-drop:+.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
