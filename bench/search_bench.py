"""Search sources at the scale the issue names: 5 watchlists × 2 editions × 3 providers.

Prints the number of queries and sources, the requests per hour they cost, and the time from a
result appearing at a loopback provider (answering as Google News, Bing News and GDELT do, GDELT
with its real 5 s limit) to its alert at a webhook, against the baseline of the old config's
hand-written Google News search URLs polled as plain feeds, in the same run.
Usage: python bench/search_bench.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.pipeline.cycle import poll_cycle  # noqa: E402
from monitor.pipeline.deliver import deliver_due  # noqa: E402
from monitor.service.runtime import load_runtime  # noqa: E402
from monitor.sources.search.configured import search_sources  # noqa: E402
from tests.support.search_providers import SearchProviders, Story  # noqa: E402
from tests.support.servers import WebhookReceiver  # noqa: E402

PROVIDERS = ("google-news", "bing-news", "gdelt")
EDITIONS = '["en-US", "es-US"]'
INTERVAL_S = 1800.0
BASELINE_QUERIES = ('"Immigration and Customs Enforcement"', 'CoreCivic OR "GEO Group"',
                    'Amazon "Homeland Security" OR Palantir OR Wayfair detention')


def config(folder: Path, engines: SearchProviders, hook: str, baseline: bool) -> Path:
    """The shipped watchlists; [[search]] for all three providers, or (baseline) the old
    config's three hand-written Google News URLs as [[feeds]]."""
    from urllib.parse import quote

    lines = ["[storage]", f'url = "sqlite:///{folder / "monitor.db"}"',
             "[watchlists]", f'dir = "{ROOT / "watchlists"}"',
             "[polling]", 'backlog = "off"']
    if baseline:
        for q in BASELINE_QUERIES:
            lines += ["[[feeds]]", f'url = "{engines.base}/rss/search?q={quote(q)}'
                      '&hl=en-US&gl=US&ceid=US:en"', 'interval = "30m"']
    else:
        for provider in PROVIDERS:
            lines += ["[[search]]", f'provider = "{provider}"', f"editions = {EDITIONS}",
                      f'base_url = "{engines.base}"', 'interval = "30m"']
    lines += ["[[subscribers]]", 'name = "desk"', f'notify = ["{hook}"]']
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_all_due(rt) -> None:
    """Every source due now, as on a fresh start (bench only: it writes the table itself)."""
    from sqlalchemy import update

    from storage import Feed
    from storage.models import utcnow

    with rt.db.session() as s:
        s.execute(update(Feed).values(next_poll_at=utcnow()))


def alert_latency(rt, engines: SearchProviders, hook: WebhookReceiver,
                  story: Story) -> tuple[float | None, int]:
    """Seconds from ``story`` appearing at the providers to its alert arriving, with every
    source due (the daemon's loop: cycle, then deliver, again while sources are due), and
    how many cycles that took; None when no source found it."""
    make_all_due(rt)
    before = len(hook.arrived)
    appeared = time.monotonic()
    engines.stories.append(story)
    cycles = 0
    while len(hook.arrived) == before:
        stats = poll_cycle(rt)
        deliver_due(rt)
        cycles += 1
        if stats.feeds_polled == 0:
            return None, cycles
    return hook.arrived[before] - appeared, cycles


def run(baseline: bool) -> dict:
    engines, hook = SearchProviders().start(), WebhookReceiver().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rt = load_runtime(config(Path(tmp), engines, hook.url, baseline))
            try:
                specs = search_sources(rt.config.searches, rt.watchlists)
                started = time.monotonic()
                poll_cycle(rt, force=True)  # poll-once: every source, GDELT paced
                first_cycle = time.monotonic() - started
                sources = len(specs) if not baseline else len(rt.config.feeds)
                queries = (len({(s.kind, s.params["query"]) for s in specs}) if not baseline
                           else len(BASELINE_QUERIES))
                per_hour = sum(3600.0 / s.interval for s in specs) if not baseline else \
                    sum(3600.0 / f.interval for f in rt.config.feeds)
                figures = {"sources": sources, "queries": queries, "requests/h": per_hour,
                           "poll-once (all) s": first_cycle}
                for label, story in (
                        ("all providers", Story(
                            "ICE agents detain 40 at a meatpacking plant",
                            "https://www.example-news.com/ice-raid", "Example News",
                            "https://www.example-news.com",
                            summary="U.S. Immigration and Customs Enforcement confirmed.")),
                        ("GDELT only", Story(
                            "CoreCivic to reopen a detention center",
                            "https://gazette.example/cca", "Gazette", "https://gazette.example",
                            providers=("gdelt",)))):
                    latency, cycles = alert_latency(rt, engines, hook, story)
                    figures[f"alert s ({label})"] = ("not found" if latency is None
                                                     else f"{latency:.1f} ({cycles} cycles)")
                figures["gdelt requests"] = len(engines.of("gdelt"))
                figures["gdelt 429s"] = sum(
                    1 for a, b in zip(engines.of("gdelt"), engines.of("gdelt")[1:],
                                      strict=False) if b[0] - a[0] < engines.gdelt_gap)
                return figures
            finally:
                rt.close()
    finally:
        engines.stop()
        hook.stop()


def main() -> None:
    rows = {"baseline: 3 hand-written Google News feeds": run(True),
            "[[search]] 5 watchlists × 2 editions × 3 providers": run(False)}
    for name, figures in rows.items():
        print(name)
        for key, value in figures.items():
            print(f"  {key:26} {value:.1f}" if isinstance(value, float) else
                  f"  {key:26} {value}")
    print(f"alert times are with every source due when the result appears; in steady state "
          f"a result also waits for its source's next poll: {INTERVAL_S / 120:.0f} min on "
          f"average, {INTERVAL_S / 60:.0f} min at most (interval 30m)")


if __name__ == "__main__":
    main()
