"""The Contracts view and ``monitor hits --kind record`` over awards polled from a loopback
USAspending: amounts obligated per month per recipient, the latest actions, records only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from monitor.pipeline.cycle import poll_cycle
from monitor.service.daemon import Daemon
from monitor.service.runtime import load_runtime
from monitor.web import HttpServer, create_app
from monitor.web.contracts import month_axis, recipient_charts
from tests.support.helpers import run_cli, write_config
from tests.support.servers import FeedServer, free_port
from tests.support.usaspending_api import UsaSpendingServer
from tests.unit.sources.test_records_usaspending import RECORDS, award, days_ago

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>ICE agents detain dozens in raids</title><link>https://news.example/a</link>
<guid>a</guid></item></channel></rss>"""


@pytest.fixture
def config(tmp_path) -> Iterator:
    api = UsaSpendingServer([
        award("CONT_AWD_A_7012_-NONE-_-NONE-", "A", "THE GEO GROUP, INC.", 12_345_678.9,
               days_ago(1)),
        award("CONT_AWD_B_7012_-NONE-_-NONE-", "B", "CORECIVIC, INC.", 4_200_000.0, days_ago(1)),
    ]).start()
    news = FeedServer().start()
    feed = news.add("/rss", RSS, "application/rss+xml")
    path = write_config(tmp_path, [feed], extra=RECORDS.format(
        base=api.base, recipients='["GEO Group", "CoreCivic"]'))
    rt = load_runtime(path)
    poll_cycle(rt, force=True)
    rt.close()
    yield path
    api.stop()
    news.stop()


def test_hits_kind_record_lists_records_only(config):
    records = json.loads(run_cli("hits", "--config", str(config), "--kind", "record",
                                 "--format", "json").stdout)
    stories = json.loads(run_cli("hits", "--config", str(config), "--kind", "story",
                                 "--format", "json").stdout)
    assert sorted({r["title"][:34] for r in records}) == [
        "ICE awards Corecivic, Inc. $4.2 mi", "ICE awards The GEO Group, Inc. $12"]
    assert {r["entity"] for r in records} == {"ICE", "GEO Group", "CoreCivic"}
    assert all("usaspending.gov/award/" in r["link"] for r in records)
    assert {s["title"] for s in stories} == {"ICE agents detain dozens in raids"}


def test_the_contracts_page_charts_obligations_per_month_and_lists_latest_actions(config):
    daemon = Daemon(load_runtime(config))
    port = free_port()
    server = HttpServer(create_app(daemon), "127.0.0.1", port)
    server.start()
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/contracts", timeout=10)
        index = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
    finally:
        server.stop()
        daemon.rt.close()
    assert page.status_code == 200 and 'href="contracts"' in index.text
    html = page.text
    month = days_ago(1)[:7]
    assert "The GEO Group, Inc." in html and "$12.3 million obligated" in html
    assert f'data-month="{month}" data-amount="12345678.9"' in html
    assert "$12,345,678.90" in html and "https://www.usaspending.gov/award/CONT_AWD_A" in html
    assert html.index("The GEO Group") < html.index("Corecivic")  # largest first


def test_month_axis_and_bars():
    axis = month_axis(datetime(2026, 2, 10, tzinfo=UTC).date(), 3)
    assert axis == ["2025-12", "2026-01", "2026-02"]
    [chart] = recipient_charts({"THE GEO GROUP, INC.": {"2026-01": 2e6, "2026-02": 1e6}}, axis)
    assert [b["h"] for b in chart["bars"]] == [0, 120.0, 60.0]
    assert chart["total_text"] == "$3 million"
