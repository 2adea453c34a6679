"""The hits page in a real headless browser (Debian's chromium): it renders, the chart draws."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest

from tests.support.cdp import Browser
from tests.support.daemon import DaemonProcess, daemon_config, rss, wait_for
from tests.support.helpers import WATCHLISTS
from tests.support.servers import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(.ci/run installs it: apt-get install chromium)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless chromium with no network side-traffic and a throw-away profile."""
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
         "--virtual-time-budget=3000", *args],
        capture_output=True, text=True, timeout=60)


def test_page_renders_and_the_chart_is_drawn(tmp_path, feed_server):
    feed = feed_server.add("/p.xml", rss([
        ("a", "ICE agents detain dozens in dawn raid", 0),
        ("b", "Judge halts ICE detention transfers", 0),
        ("c", "ICE raids spark protests in Chicago", 2),
        ("d", "Amazon Web Services renews ICE contract", 5),
        ("e", "Wayfair workers protest furniture sales to detention camps", 1),
    ]))
    port = free_port()
    config = daemon_config(tmp_path, [(feed, "1h")], port, f"sqlite:///{tmp_path / 'm.db'}",
                           WATCHLISTS)
    d = DaemonProcess(config, port).start()
    try:
        wait_for(lambda: d.get("/api/hits", params={"watchlist": "ICE"}).json()["count"] == 4,
                 what="the hits to be stored")
        dom = chromium(tmp_path, "--dump-dom", d.base + "/")
        assert dom.returncode == 0, dom.stderr[-2000:]
        shot = tmp_path / "page.png"
        taken = chromium(tmp_path, "--window-size=1200,1100", f"--screenshot={shot}",
                         d.base + "/")
        assert taken.returncode == 0, taken.stderr[-2000:]
    finally:
        d.kill()

    doc = lxml.html.fromstring(dom.stdout)
    charts = doc.xpath('//svg[contains(@class, "chart")]')
    assert {c.get("data-watchlist") for c in charts} == {
        "Amazon", "CoreCivic", "GEO Group", "ICE", "Wayfair"}
    assert all(c.get("data-drawn") == "true" for c in charts), "the script did not draw"
    ice = next(c for c in charts if c.get("data-watchlist") == "ICE")
    bars = ice.xpath('.//rect[@class="bar"]')
    assert len(bars) == 30
    counts = {b.get("data-day"): int(b.get("data-count")) for b in bars}
    assert sorted(n for n in counts.values() if n) == [1, 1, 2]
    today = max(counts)
    assert counts[today] == 2
    tallest = max(bars, key=lambda b: float(b.get("height")))
    assert tallest.get("data-day") == today and float(tallest.get("height")) > 50
    assert [t.text for t in tallest.xpath("./title")] == [f"{today}: 2"]
    rows = doc.xpath('//table[@id="hits"]/tbody/tr')
    assert len(rows) == 6  # four ICE hits, Amazon and Wayfair
    assert doc.xpath('//a[@href="https://news.example/b"]/text()') == [
        "Judge halts ICE detention transfers"]

    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


PHONE = (390, 844)
OVERFLOW = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
  drawn: [...document.querySelectorAll("svg.chart")].every(s => s.dataset.drawn === "true"),
  wide: [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
    .map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className).slice(0, 10),
  rows: [...document.querySelectorAll("#hits tbody tr")].map(r => Object.fromEntries(
    [...r.cells].map((c, i) => [c.dataset.label || i, c.innerText])))})"""


def test_page_fits_a_phone_and_shows_dates_and_every_source(tmp_path, feed_server):
    long_word = "Immigration-and-Customs-Enforcement-detention-contract-renewal-" * 2
    first = feed_server.add("/first.xml", rss([
        ("a", "ICE agents detain dozens in dawn raid as lawyers say families were not told", 0),
        ("b", f"ICE {long_word}", 1),
        ("c", "Amazon Web Services renews cloud contract with Immigration and Customs "
              "Enforcement for another five years", 3),
    ]))
    second = feed_server.add("/second.xml", rss([
        ("a", "ICE agents detain dozens in dawn raid as lawyers say families were not told", 0),
    ]).replace(b"Loopback News", b"Second Desk"))
    port = free_port()
    config = daemon_config(tmp_path, [(first, "1h"), (second, "1h")], port,
                           f"sqlite:///{tmp_path / 'm.db'}", WATCHLISTS)
    d = DaemonProcess(config, port).start()
    try:
        wait_for(lambda: any(len(h["sources"]) == 2 for h in d.get("/api/hits").json()["hits"]),
                 what="the story seen in both feeds")
        browser = Browser(CHROMIUM, tmp_path / "cdp-profile")
        try:
            session = browser.open(d.base + "/", *PHONE)
            phone = json.loads(browser.evaluate(session, OVERFLOW))
            desktop = json.loads(browser.evaluate(browser.open(d.base + "/", 1200, 900, False),
                                                  OVERFLOW))
        finally:
            browser.close()
    finally:
        d.kill()

    assert phone["innerWidth"] == PHONE[0]
    assert phone["scrollWidth"] <= PHONE[0], phone["wide"]
    assert phone["wide"] == []
    assert phone["drawn"] and desktop["drawn"], "the chart script did not run under the CSP"
    assert desktop["scrollWidth"] <= 1200, desktop["wide"]
    rows = {row["4"][:12]: row for row in phone["rows"]}  # by the story's title
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert rows[f"ICE {long_word[:8]}"]["published"].startswith(yesterday)
    assert rows["ICE agents d"]["sources"] == "Loopback News, Second Desk"
