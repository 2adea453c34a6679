"""SEC EDGAR filings end to end against a loopback www.sec.gov: names resolved to CIKs, the
User-Agent with the operator's contact, never more than 10 requests in a second, one alert
per new filing naming company, form and date and linking the filing index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.config import check_config
from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.deliver import deliver_due
from monitor.service.runtime import load_runtime
from monitor.sources.records.edgar import resolve, unresolved
from storage import Hit, Story
from storage.models import Record
from tests.support.edgar_api import Company, EdgarServer, Filing
from tests.support.helpers import write_config

TODAY = datetime.now(UTC).date()
GEO = Company("0000923796", "GEO GROUP INC", "GEO")
CXW = Company("0001070985", "CoreCivic, Inc.", "CXW")
AMZN = Company("0001018724", "AMAZON COM INC", "AMZN")
OTHERS = [Company(f"{9000000 + n:010d}", f"FILLER HOLDINGS {n} INC", f"FIL{n}") for n in range(12)]


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def sec() -> Iterator[EdgarServer]:
    server = EdgarServer([AMZN, GEO, CXW, *OTHERS], [
        Filing(GEO.cik, "0000923796-26-000045", "8-K", _day(1),
               items="items 2.02 and 9.01"),
        Filing(GEO.cik, "0000923796-26-000041", "10-Q", _day(20), "Quarterly report"),
        Filing(GEO.cik, "0000923796-26-000040", "4", _day(1), "Statement of changes"),
        Filing(CXW.cik, "0001070985-26-000101", "8-K/A", _day(0), "Current report, amended"),
        Filing(AMZN.cik, "0001018724-26-000077", "10-Q", _day(2), "Quarterly report"),
    ]).start()
    yield server
    server.stop()



def _config(tmp_path, sec, companies: str, contact: str = 'contact = "desk@example.org"',
            subscribers=None):
    extra = f'''{contact}
[[records]]
provider = "edgar"
companies = {companies}
forms = ["8-K", "10-Q"]
interval = "1h"
base_url = "{sec.base}"
'''
    return write_config(tmp_path, [], extra=extra, subscribers=subscribers)


def test_edgar_is_refused_without_a_polling_contact_at_its_line(tmp_path, sec):
    path = _config(tmp_path, sec, '["GEO Group"]', contact="")
    _, problems = check_config(path)
    line = path.read_text().splitlines().index("[[records]]") + 1
    assert [str(p) for p in problems] == [
        f'{path}:{line}: provider "edgar" needs [polling] contact: the SEC asks every client '
        "for a User-Agent naming who to contact"]


def test_names_and_cik_numbers_resolve():
    tickers = {str(i): {"cik_str": int(c.cik), "ticker": c.ticker, "title": c.name}
               for i, c in enumerate([AMZN, GEO, CXW])}
    assert resolve(["GEO Group", "CoreCivic", "Amazon", "1018724", "Nobody Corp"], tickers) == [
        GEO.cik, CXW.cik, AMZN.cik]
    assert resolve(["amzn"], tickers) == [AMZN.cik]
    assert unresolved(["GEO Group", "Nobody Corp", "1018724"], json.dumps(tickers).encode()) == [
        "Nobody Corp"]


def test_new_filings_alert_once_with_company_form_date_and_index(tmp_path, sec, webhook):
    rt = load_runtime(_config(tmp_path, sec, '["GEO Group", "CoreCivic", 1018724]',
                              subscribers=[{"name": "desk", "notify": [webhook.url]}]))
    try:
        stats = poll_cycle(rt, force=True)
        assert stats.feeds_failed == 0
        assert all("desk@example.org" in agent for _, _, agent in sec.requests)
        paths = [p for _, p, _ in sec.requests]
        assert paths[0] == "/files/company_tickers.json" and len(paths) == 1 + 3 * 2
        assert "CIK=0000923796&type=8-K" in paths[1] and "output=atom" in paths[1]
        with rt.db.session() as s:
            titles = sorted(s.scalars(select(Story.title)))
            hits = {h.entity for h in s.scalars(select(Hit))}
            forms = sorted(r.facts for r in s.scalars(select(Record)))
        assert titles == [
            f"Amazon Com Inc files 10-Q (Quarterly report) on {_day(2)}",
            f"CoreCivic, Inc. files 8-K/A (Current report, amended) on {_day(0)}",
            f"GEO Group Inc files 10-Q (Quarterly report) on {_day(20)}",
            f"GEO Group Inc files 8-K (Current report) on {_day(1)}: items 2.02 and 9.01"]
        assert {"GEO Group", "CoreCivic", "Amazon"} <= hits  # names through the matcher
        assert len(forms) == 4
        deliver_due(rt)
        geo = next(m for m in webhook.received if "8-K (Current" in m["title"])
        assert f"Filed: {_day(1)}" in geo["message"] and "Form: 8-K" in geo["message"]
        assert ("https://www.sec.gov/Archives/edgar/data/923796/000092379626000045/"
                "0000923796-26-000045-index.htm") in geo["message"]
        sent = len(webhook.received)
        sec.filings.insert(0, Filing(GEO.cik, "0000923796-26-000050", "8-K", _day(0)))
        assert poll_cycle(rt, force=True).new_stories == 1
        assert poll_cycle(rt, force=True).new_stories == 0
        deliver_due(rt)
        assert len(webhook.received) == sent + 1
    finally:
        rt.close()


def test_feeds_from_the_sec_count_against_its_ten_a_second(tmp_path, sec):
    """config.example.toml follows EDGAR's Atom feeds of two companies as [[feeds]] too: with
    an edgar source configured, those requests are spaced out like its own."""
    feeds = [f"{sec.base}/cgi-bin/browse-edgar?action=getcompany&CIK={c.cik}&type=8-K"
             "&dateb=&owner=include&count=40&output=atom" for c in OTHERS]
    extra = "\n".join(['contact = "desk@example.org"', "[[records]]", 'provider = "edgar"',
                       f'companies = ["{GEO.cik}"]', 'forms = ["8-K"]', 'interval = "1h"',
                       f'base_url = "{sec.base}"', ""])
    rt = load_runtime(write_config(tmp_path, feeds, extra=extra))
    try:
        poll_cycle(rt, force=True)
    finally:
        rt.close()
    times = [t for t, _, _ in sec.requests]
    assert len(times) == len(OTHERS) + 1
    assert max(sum(1 for u in times if t <= u <= t + 1.0) for t in times) <= 10


def test_never_more_than_ten_requests_in_any_second(tmp_path, sec):
    names = ", ".join(f'"{c.name}"' for c in OTHERS)
    rt = load_runtime(_config(tmp_path, sec, f'["GEO Group", {names}]'))
    try:
        poll_cycle(rt, force=True)
    finally:
        rt.close()
    times = [t for t, _, _ in sec.requests]
    assert len(times) == 1 + 13 * 2
    assert max(sum(1 for u in times if t <= u <= t + 1.0) for t in times) <= 10
    assert times[-1] - times[0] >= 2.5  # 27 requests cannot go faster than 10 a second
