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


def alert_latency(rt, engines: SearchProviders, hook: WebhookReceiver, story: Story) -> float:
    """Seconds from ``story`` appearing at the providers to its alert arriving, when a poll
    starts at once (a due source's wait for its interval comes on top)."""
    before = len(hook.arrived)
    appeared = time.monotonic()
    engines.stories.append(story)
    poll_cycle(rt, force=True)
    deliver_due(rt)
    if len(hook.arrived) == before:
        return float("nan")
    return hook.arrived[before] - appeared


def run(baseline: bool) -> dict:
    engines, hook = SearchProviders().start(), WebhookReceiver().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rt = load_runtime(config(Path(tmp), engines, hook.url, baseline))
            try:
                specs = search_sources(rt.config.searches, rt.watchlists)
                started = time.monotonic()
                poll_cycle(rt, force=True)  # the first poll: every source due at once
                first_cycle = time.monotonic() - started
                sources = len(specs) if not baseline else len(rt.config.feeds)
                queries = (len({(s.kind, s.params["query"]) for s in specs}) if not baseline
                           else len(BASELINE_QUERIES))
                per_hour = sum(3600.0 / s.interval for s in specs) if not baseline else \
                    sum(3600.0 / f.interval for f in rt.config.feeds)
                everywhere = alert_latency(rt, engines, hook, Story(
                    "ICE agents detain 40 at a meatpacking plant",
                    "https://www.example-news.com/ice-raid", "Example News",
                    "https://www.example-news.com"))
                gdelt_only = alert_latency(rt, engines, hook, Story(
                    "CoreCivic to reopen a detention center", "https://gazette.example/cca",
                    "Gazette", "https://gazette.example", providers=("gdelt",)))
                return {"sources": sources, "queries": queries, "requests/h": per_hour,
                        "first cycle s": first_cycle, "alert s (all providers)": everywhere,
                        "alert s (GDELT only)": gdelt_only,
                        "gdelt requests": len(engines.of("gdelt"))}
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
    print(f"a result waits for its source's next poll on top: {INTERVAL_S / 120:.0f} min on "
          f"average, {INTERVAL_S / 60:.0f} min at most (interval 30m)")


if __name__ == "__main__":
    main()
