"""The trends page in a real headless browser: per-entity timelines with the spike marked,
outlets, co-mentions, the filter form and query box under the page's CSP, and the CSV export."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest

from tests.support.cdp import Browser
from tests.support.daemon import DaemonProcess, daemon_config, wait_for
from tests.support.helpers import WATCHLISTS
from tests.support.servers import free_port
from tests.support.trends_history import BURST, feed, history

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(.ci/run installs it: apt-get install chromium)")

# the feed's text says "<img …>" as text (entity-escaped markup): stored and shown as text
HOSTILE = '=HYPERLINK("http://evil.example") GEO Group &lt;img src=x onerror=alert(1)&gt; filing'
PAGE = """JSON.stringify({
  error: (document.getElementById("error") || {}).textContent || null,
  column: (document.getElementById("error") || {dataset: {}}).dataset.column || null,
  drawn: [...document.querySelectorAll("svg.timeline")].every(s => s.dataset.drawn === "true"),
  cards: Object.fromEntries([...document.querySelectorAll(".card.entity")].map(c => [
    c.dataset.entity, {
      spikeDays: [...c.querySelectorAll("rect.bar.spike")].map(b => b.dataset.day),
      bars: c.querySelectorAll("rect.bar").length,
      usual: c.querySelectorAll("polyline.usual").length,
      spikes: [...c.querySelectorAll("ul.spikes li")].map(l => l.textContent),
      outlets: [...c.querySelectorAll("ul.outlets li")].map(l => l.dataset.outlet),
      co: [...c.querySelectorAll("ul.co li")].map(l => l.dataset.entity)}])),
  hits: [...document.querySelectorAll("#hits tbody tr")].map(r => r.cells[3].textContent),
  images: document.querySelectorAll("#hits img").length,
  csv: document.getElementById("csv").getAttribute("href"),
  scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth})"""


def _items():
    items = history()
    now = datetime.now(UTC)
    items.append(("hostile", HOSTILE, now - timedelta(days=3)))
    items.append(("both", "GEO Group and CoreCivic bid for the same detention contract",
                  now - timedelta(days=2)))
    return items


def test_trends_page_shows_spikes_outlets_co_mentions_and_filters(tmp_path, feed_server):
    items = _items()
    main = feed_server.add("/news.xml", feed(items))
    wire = feed_server.add("/wire.xml", feed([i for i in items if i[0].startswith("burst-")],
                                             "Second Wire"))
    port = free_port()
    config = daemon_config(tmp_path, [(main, "1h"), (wire, "1h")], port,
                           f"sqlite:///{tmp_path / 'm.db'}", WATCHLISTS)
    d = DaemonProcess(config, port).start()
    try:
        wait_for(lambda: d.get("/api/hits", params={"watchlist": "GEO Group", "limit": 100}
                               ).json()["count"] == 27 + BURST + 2, 60, "the hits to be stored")
        headers = d.get("/trends").headers
        browser = Browser(CHROMIUM, tmp_path / "cdp-profile")
        try:
            session = browser.open(d.base + "/trends", 1200, 900, False)
            page = json.loads(browser.evaluate(session, PAGE))
            browser.evaluate(session, """
              document.querySelector("select[name=entity]").value = "GEO Group";
              document.querySelector("input[name=q]").value = 'scandal AND NOT "report 3"';
              document.getElementById("filters").requestSubmit(); true""")
            browser.navigated(session)
            filtered = json.loads(browser.evaluate(session, PAGE))
            url = browser.evaluate(session, "location.href")
            bad = json.loads(browser.evaluate(browser.open(
                d.base + "/trends?q=" + "scandal%20AND%20(", 390, 844), PAGE))
            phone = json.loads(browser.evaluate(browser.open(d.base + "/trends", 390, 844), PAGE))
        finally:
            browser.close()
        wire_only = lxml.html.fromstring(d.get("/trends", params={"outlet": "Second Wire"}).text)
        exported = d.get("/trends.csv", params={"entity": "GEO Group"})
        shown = d.get("/" + filtered["csv"])
    finally:
        d.kill()

    assert "nonce-" in headers["content-security-policy"]
    assert "form-action 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"

    assert page["error"] is None and page["drawn"], "the timeline script did not run"
    geo, cc = page["cards"]["GEO Group"], page["cards"]["CoreCivic"]
    today = datetime.now(UTC).date()
    assert geo["bars"] == 31 and geo["usual"] == 1
    assert len(geo["spikeDays"]) == 1
    assert geo["spikeDays"][0] in {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    assert len(geo["spikes"]) == 1 and f"{BURST} stories against" in geo["spikes"][0]
    assert cc["spikeDays"] == [] and cc["spikes"] == []
    assert page["cards"]["Wayfair"]["spikeDays"] == []
    assert geo["outlets"][:2] == ["Loopback News", "Second Wire"]
    assert geo["co"] == ["CoreCivic"] and cc["co"] == ["GEO Group"]
    assert page["images"] == 0 and any("<img src=x" in title for title in page["hits"])

    assert "entity=GEO+Group" in url and "q=scandal" in url
    assert filtered["error"] is None
    assert len(filtered["hits"]) == BURST - 1, (url, filtered)
    assert all("scandal" in t and "report 3" not in t for t in filtered["hits"])
    assert list(filtered["cards"]) == ["GEO Group"]

    assert bad["error"].startswith("query:") and bad["column"]
    assert phone["scrollWidth"] <= phone["innerWidth"]

    cards = wire_only.xpath('//div[contains(@class, "entity")]')
    assert [c.get("data-entity") for c in cards] == ["GEO Group"]      # only what it carried
    assert f"{BURST} stories" in cards[0].xpath("string(.//h2/small)")
    assert len(wire_only.xpath('//table[@id="hits"]/tbody/tr')) == BURST

    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 27 + BURST + 2
    hostile = next(r for r in rows if "evil.example" in r["title"])
    assert hostile["title"].startswith("'=HYPERLINK")          # text, never a formula
    assert {r["entity"] for r in rows} == {"GEO Group"}
    kept = list(csv.DictReader(io.StringIO(shown.text)))
    assert sorted(r["title"] for r in kept) == sorted(filtered["hits"])
