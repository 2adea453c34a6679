"""Full text end to end: article pages read (extracted by trafilatura, matched) and their body
hits stored, per second on every core, from fetched bytes to stored hits; beside the raw
limit, trafilatura's own ``extract`` with its defaults over the same bytes on as many
processes (nothing matched or stored).

The pages are the shared corpus's 91 real articles served on loopback, repeated to ``--pages``
distinct URLs; one in four names GEO Group in a paragraph added at its end. Headline-only
entries link them (``full_text = true``); ``poll-once``'s page step claims them 200 at a time,
fetches, reads them in the parse workers and stores pages and hits.
Usage: python bench/fulltext_bench.py [--pages 600] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.articles import ArticleServer, corpus_articles  # noqa: E402

FEEDS = 20  # enough feeds that the cycle starts the parse workers, as a daemon's would
PLANTED = b"<p>The county's contract with GEO Group was renewed for five more years.</p>"


def planted(html: bytes) -> bytes:
    """The page with a paragraph naming a watched company added at the end of its body."""
    at = html.lower().rfind(b"</article>")
    at = at if at >= 0 else html.lower().rfind(b"</body>")
    return html[:at] + PLANTED + html[at:] if at >= 0 else html + PLANTED


def serve(pages: int) -> tuple[ArticleServer, list[bytes], list[str]]:
    """The site, the bytes of each page, and the feeds' URLs (headline-only entries)."""
    corpus = [html for html, _ in corpus_articles().values()]
    site = ArticleServer(robots="User-agent: *\nDisallow:\n").start()
    bodies, items = [], defaultdict(list)
    for n in range(pages):
        body = corpus[n % len(corpus)]
        body = planted(body) if n % 4 == 0 else body
        bodies.append(body)
        url = site.add(f"/story/{n}", body)
        items[n % FEEDS].append(f"<item><title>Council meeting notes {n}</title>"
                                f"<link>{url}</link><guid>{n}</guid></item>")
    feeds = [site.add(f"/feed/{f}.xml", (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Herald {f}</title>'
        + "".join(entries) + "</channel></rss>").encode(),
        headers={"Content-Type": "application/rss+xml"}) for f, entries in items.items()]
    return site, bodies, feeds


def monitor_run(feeds: list[str], tmp: str) -> dict[str, float]:
    """poll-once in this process, then page steps until no page is due; seconds per phase."""
    import monitor.pages.stage as stage
    from monitor.pipeline.cycle import poll_cycle
    from monitor.pipeline.pool import PARSE_POOLS
    from monitor.pipeline.stats import CycleStats
    from monitor.service.runtime import load_runtime

    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, fn):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return run

    stage.fetch_pages = timed("fetch", stage.fetch_pages)
    stage.read_pages = timed("read", stage.read_pages)
    stage.page_step = timed("step", stage.page_step)
    config = Path(tmp) / "config.toml"
    config.write_text(
        f'watchlists = {{ dir = "{ROOT / "watchlists"}" }}\n[storage]\n'
        f'url = "sqlite:///{tmp}/m.db"\n[polling]\nbacklog = "off"\nper_host = 8\n'
        + "".join(f'[[feeds]]\nurl = "{f}"\nfull_text = true\n' for f in feeds))
    rt = load_runtime(config)
    try:
        stats = poll_cycle(rt, force=True)
        before = -1
        while stats.pages_read + stats.pages_failed > before:
            before = stats.pages_read + stats.pages_failed
            stage.page_step(rt, stats)
        extra = CycleStats()
        stage.page_step(rt, extra)
        if extra.pages_read or stats.pages_failed:
            raise SystemExit(f"pages left unread: {stats.pages_failed} failed")
    finally:
        PARSE_POOLS.close()
        rt.close()
    spent["pages"], spent["hits"] = stats.pages_read, stats.hits
    return spent


def _extract_defaults(body: bytes) -> int:
    import trafilatura

    return len(trafilatura.extract(body) or "")


def raw_limit(bodies: list[bytes]) -> float:
    """Seconds for trafilatura.extract (defaults) over every page on os.cpu_count() processes."""
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(_extract_defaults, bodies[:8]))  # workers up and trafilatura imported
        started = time.perf_counter()
        list(pool.map(_extract_defaults, bodies, chunksize=4))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if not corpus_articles():
        sys.exit("../shared/corpus/articles is absent: nothing to measure")
    site, bodies, feeds = serve(args.pages)
    print(f"{args.pages} pages ({sum(map(len, bodies)) / 2**20:.1f} MB) on {os.cpu_count()} "
          f"cores, load average {os.getloadavg()[0]:.2f} at start")
    try:
        for run in range(1, args.runs + 1):
            limit = raw_limit(bodies)
            with tempfile.TemporaryDirectory() as tmp:
                spent = monitor_run(feeds, tmp)
            pages = spent["pages"]
            after_fetch = spent["step"] - spent["fetch"]
            print(f"run {run}: raw limit (trafilatura.extract, defaults, {os.cpu_count()} "
                  f"processes) {args.pages / limit:6.1f} pages/s")
            print(f"       monitor, fetched bytes -> stored hits  {pages / after_fetch:6.1f} "
                  f"pages/s ({pages:.0f} pages, {spent['hits']:.0f} hits; read "
                  f"{spent['read']:.2f} s, store {after_fetch - spent['read']:.2f} s)")
            print(f"       monitor, with the loopback fetch       {pages / spent['step']:6.1f} "
                  f"pages/s (fetch {spent['fetch']:.2f} s)")
    finally:
        site.stop()
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
