"""USAspending awards and modifications end to end: a loopback API answering as the real one
(one award type group per request, page_metadata paging, a 500 and a 429), poll_cycle, the
matcher on recipient names, and alerts through apprise json:// to a real receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.deliver import deliver_due
from monitor.service.runtime import Runtime, load_runtime
from storage import Feed, Hit, Story, connect
from storage.models import Record
from tests.support.helpers import write_config
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.usaspending_api import AWARDS, TRANSACTIONS, Award, UsaSpendingServer

TODAY = datetime.now(UTC).date()
ICE = "U.S. Immigration and Customs Enforcement"


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def award(internal: str, piid: str, recipient: str, amount: float, signed: str, code: str = "C",
           description: str = "DETENTION SERVICES AT THE ADELANTO ICE PROCESSING CENTER",
           agency: str = ICE) -> Award:
    return Award(internal, code, {
        "Award ID": piid, "Recipient Name": recipient, "Award Amount": amount,
        "Description": description, "Awarding Agency": "Department of Homeland Security",
        "Awarding Sub Agency": agency, "Base Obligation Date": signed, "Start Date": signed,
        "End Date": "2031-09-30", "Last Modified Date": signed, "Contract Award Type": "DO"},
        signed, [{"Mod": "0", "Action Date": signed, "Transaction Amount": f"{amount:.2f}",
                  "Transaction Description": description, "Action Type": None}])


@pytest.fixture
def awards() -> list[Award]:
    return [
        award("CONT_AWD_70CDCR26FR0000001_7012_HSCEDM16D00001_7012", "70CDCR26FR0000001",
               "THE GEO GROUP, INC.", 12_345_678.9, days_ago(1)),
        award("CONT_AWD_70CMSD26C00000002_7012_-NONE-_-NONE-", "70CMSD26C00000002",
               "AMAZON WEB SERVICES, INC.", 950_000.0, days_ago(1),
               description="CLOUD HOSTING FOR CASE MANAGEMENT"),
        award("CONT_AWD_70CDCR26C00000003_7012_-NONE-_-NONE-", "70CDCR26C00000003",
               "CORECIVIC, INC.", 4_200_000.0, days_ago(2)),
        award("CONT_AWD_OTHER_7013_-NONE-_-NONE-", "OTHER1", "THE GEO GROUP, INC.", 1.0,
               days_ago(1), agency="Transportation Security Administration"),
        # an award from years ago: only its modifications are news
        award("CONT_AWD_HSCEDM16D00001_7012_-NONE-_-NONE-", "HSCEDM16D00001",
               "THE GEO GROUP, INC.", 800_000_000.0, "2016-09-01", code="IDV_B_B",
               description="DETENTION AND TRANSPORTATION SERVICES IDIQ"),
    ]


@pytest.fixture
def api(awards) -> Iterator[UsaSpendingServer]:
    server = UsaSpendingServer(awards).start()
    yield server
    server.stop()



RECORDS = '''
[[records]]
provider = "usaspending"
agencies = ["U.S. Immigration and Customs Enforcement"]
award_types = ["contracts", "idvs"]
recipients = {recipients}
interval = "6h"
lookback = "7d"
base_url = "{base}"
'''


@pytest.fixture
def rt(tmp_path, api, webhook, any_url) -> Iterator[Runtime]:  # noqa: F811
    """On SQLite and (when configured) PostgreSQL."""
    connect(any_url).dispose()  # creates the schema (PostgreSQL waits for an upgrade)
    extra = RECORDS.format(base=api.base, recipients='["GEO Group", "Amazon", "CoreCivic"]')
    runtime = load_runtime(write_config(tmp_path, [], extra=extra, storage_url=any_url,
                                        subscribers=[{"name": "desk",
                                                      "notify": [webhook.url]}]))
    yield runtime
    runtime.close()


def _titles(rt: Runtime) -> list[str]:
    with rt.db.session() as s:
        return sorted(s.scalars(select(Story.title)))


def test_requests_keep_to_one_award_type_group_and_the_api_contract(rt, api):
    stats = poll_cycle(rt, force=True)
    assert stats.feeds_failed == 0
    paths = api.paths()
    assert paths == [AWARDS, TRANSACTIONS, AWARDS, TRANSACTIONS]  # contracts, then idvs
    for path, body in api.requests:
        assert api.answer(path, body)[0] == 200  # the real checks pass: no 400/422
        assert body["sort"] in body["fields"] and body["limit"] <= 100
        assert body["filters"]["agencies"] == [{"type": "awarding", "tier": "subtier",
                                               "name": ICE}]
        period = body["filters"]["time_period"][0]
        assert period["start_date"] == days_ago(7) and period["end_date"] == TODAY.isoformat()
    assert api.requests[0][1]["filters"]["award_type_codes"] == ["A", "B", "C", "D"]
    assert "generated_internal_id" in api.requests[0][1]["fields"]
    mixed = {**api.requests[0][1], "filters": {"award_type_codes": ["A", "IDV_A"]}}
    status, doc = api.answer(AWARDS, mixed)
    assert status == 422 and "one group" in doc["detail"]["message"]


def test_new_awards_are_stories_with_amounts_agency_recipient_and_the_award_page(rt, api):
    poll_cycle(rt, force=True)
    with rt.db.session() as s:
        story = s.scalars(select(Story).where(Story.title.like("%GEO%"))).one()
        record = s.get(Record, story.id)
        hits = {(h.watchlist, h.entity) for h in s.scalars(select(Hit))}
    assert story.title == ("ICE awards The GEO Group, Inc. $12.3 million: detention services "
                           "at the adelanto ice processing center")
    assert story.link == ("https://www.usaspending.gov/award/"
                          "CONT_AWD_70CDCR26FR0000001_7012_HSCEDM16D00001_7012")
    assert "Obligated: $12,345,678.90" in story.summary and f"Agency: {ICE}" in story.summary
    assert (record.provider, record.recipient, record.amount_obligated, record.acted_on) == (
        "usaspending", "THE GEO GROUP, INC.", 12_345_678.9, days_ago(1))
    assert record.action == "award" and record.agency == ICE
    # recipient name variants go through the matcher
    assert {("GEO Group", "GEO Group"), ("Amazon", "Amazon"),
            ("CoreCivic", "CoreCivic")} <= hits
    assert not any("OTHER1" in t or "$1 " in t for t in _titles(rt))  # another agency's


def test_a_modification_of_a_known_award_is_alerted_once_and_a_second_poll_is_silent(
        rt, api, awards, webhook):
    poll_cycle(rt, force=True)
    first = deliver_due(rt)
    assert first.sent >= 1 and len(_titles(rt)) == 3
    assert not any("800" in t for t in _titles(rt))  # the 2016 award is not news
    webhook.received.clear()
    awards[-1].transactions.append({"Mod": "P00057", "Action Date": days_ago(0),
                                    "Transaction Amount": "2500000.00", "Action Type": "B",
                                    "Transaction Description": "EXERCISE OPTION YEAR 9 FOR "
                                    "DETENTION BEDS AT THE ADELANTO FACILITY"})
    awards[-1].fields["base_and_all_options"] = 1_200_000_000.0
    api.requests.clear()
    stats = poll_cycle(rt, force=True)
    assert stats.new_stories == 1
    # the modified award's own record is read for its totals, once, after its transactions
    assert api.paths() == [AWARDS, TRANSACTIONS, AWARDS, TRANSACTIONS,
                           "/api/v2/awards/CONT_AWD_HSCEDM16D00001_7012_-NONE-_-NONE-/"]
    deliver_due(rt)
    assert len(webhook.received) == 1
    alert = webhook.received[0]
    assert "(modification P00057)" in alert["title"] and "$2.5 million" in alert["title"]
    assert "The GEO Group, Inc." in alert["title"]
    assert "usaspending.gov/award/CONT_AWD_HSCEDM16D00001_7012" in alert["message"]
    assert "Obligated: $2,500,000.00 · Total obligated: $802,500,000.00 · Potential value: " \
        "$1,200,000,000.00" in alert["message"]
    webhook.received.clear()
    stats = poll_cycle(rt, force=True)
    deliver_due(rt)
    assert stats.new_stories == 0 and webhook.received == []
    # a modification of an award that is itself a story: same award page, a story of its own
    awards[0].transactions.append({"Mod": "P00001", "Action Date": days_ago(0),
                                   "Transaction Amount": "300000.00", "Action Type": "C",
                                   "Transaction Description": "ADD 40 BEDS"})
    assert poll_cycle(rt, force=True).new_stories == 1
    deliver_due(rt)
    assert len(webhook.received) == 1
    assert "ICE awards The GEO Group, Inc. $300,000 (modification P00001): add 40 beds" in \
        webhook.received[0]["title"]
    with rt.db.session() as s:
        mod = s.scalars(select(Record).where(Record.action == "modification P00057")).one()
    assert mod.record_id == "CONT_AWD_HSCEDM16D00001_7012_-NONE-_-NONE-/P00057"
    assert (mod.amount_obligated, mod.amount_total) == (2_500_000.0, 802_500_000.0)


def test_paging_follows_page_metadata(rt, api, awards):
    for n in range(150):
        awards.append(award(f"CONT_AWD_PAGED{n}_7012_-NONE-_-NONE-", f"PAGED{n}",
                             "THE GEO GROUP, INC.", 1000.0 + n, days_ago(3)))
    stats = poll_cycle(rt, force=True)
    assert stats.feeds_failed == 0
    pages = [(p, b["page"]) for p, b in api.requests]
    assert pages[:4] == [(AWARDS, 1), (AWARDS, 2), (TRANSACTIONS, 1), (TRANSACTIONS, 2)]
    assert len(_titles(rt)) == 153


def test_a_500_then_a_429_back_off_and_nothing_is_lost(rt, api):
    api.fail = [500]
    stats = poll_cycle(rt, force=True)
    assert stats.feeds_failed == 1 and _titles(rt) == []
    with rt.db.session() as s:
        feed = s.scalars(select(Feed).where(Feed.kind == "usaspending")).one()
        assert feed.state == "failing" and feed.last_error == "HTTP 500"
        assert feed.next_poll_at > datetime.now(UTC) + timedelta(hours=5)  # backed off
    api.requests.clear()
    api.fail = [429]
    poll_cycle(rt, force=True)
    with rt.db.session() as s:
        feed = s.scalars(select(Feed).where(Feed.kind == "usaspending")).one()
        assert feed.last_error == "HTTP 429"
    api.requests.clear()
    poll_cycle(rt, force=True)
    # after failures the whole lookback is read again: nothing a failure skipped is lost
    assert api.requests[0][1]["filters"]["time_period"][0]["start_date"] == days_ago(7)
    assert len(_titles(rt)) == 3
    api.requests.clear()
    poll_cycle(rt, force=True)
    # after a good poll, from the last poll less the overlap
    assert api.requests[0][1]["filters"]["time_period"][0]["start_date"] == days_ago(5)


def test_recipients_default_to_the_watchlists_names(tmp_path, api):
    extra = RECORDS.format(base=api.base, recipients="[]").replace("recipients = []\n", "")
    runtime = load_runtime(write_config(tmp_path, [], extra=extra))
    try:
        params = runtime.record_sources[0].params
        assert {"GEO Group", "The GEO Group", "Amazon Web Services", "CoreCivic"} <= set(
            params["recipients"])
        assert "GEO" not in params["recipients"] and "AWS" not in params["recipients"]
        poll_cycle(runtime, force=True)
        body = api.requests[0][1]
        assert "Amazon Web Services" in body["filters"]["recipient_search_text"]
        assert json.dumps(body)  # a JSON body the API reads
    finally:
        runtime.close()
