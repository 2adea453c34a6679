"""Federal Register documents end to end against a loopback documents.json: conditions and
fields[] as the API reads them, next_page_url paging, comment deadlines in the alert, a 429
backed off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.deliver import deliver_due
from monitor.service.runtime import load_runtime
from storage import Feed, Story
from storage.models import Record
from tests.support.fedreg_api import FedRegServer
from tests.support.helpers import write_config
from tests.support.servers import FeedServer

TODAY = datetime.now(UTC).date()
ICE = {"raw_name": "DEPARTMENT OF HOMELAND SECURITY", "name": "Homeland Security Department",
       "id": 227, "url": "https://www.federalregister.gov/agencies/homeland-security-department",
       "json_url": "https://www.federalregister.gov/api/v1/agencies/227", "parent_id": None,
       "slug": "homeland-security-department"}
ICE_SUB = {"raw_name": "U.S. Immigration and Customs Enforcement",
           "name": "U.S. Immigration and Customs Enforcement", "id": 236, "parent_id": 227,
           "url": "https://www.federalregister.gov/agencies/"
                  "u-s-immigration-and-customs-enforcement",
           "json_url": "https://www.federalregister.gov/api/v1/agencies/236",
           "slug": "u-s-immigration-and-customs-enforcement"}
FAA = {**ICE, "name": "Federal Aviation Administration", "slug": "federal-aviation-administration"}


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def _doc(number: str, title: str, kind: str, published: str, closes: str | None = None,
         agencies=(ICE_SUB, ICE)) -> dict:
    return {"title": title, "type": kind, "abstract": "ICE proposes to amend its regulations.",
            "document_number": number, "action": "Proposed rule.",
            "html_url": f"https://www.federalregister.gov/documents/{published.replace('-', '/')}"
                        f"/{number}/slug", "pdf_url": None, "public_inspection_pdf_url": None,
            "publication_date": published, "agencies": list(agencies), "excerpts": None,
            "comments_close_on": closes, "dates": None}


@pytest.fixture
def fr() -> Iterator[FedRegServer]:
    server = FedRegServer([
        _doc("2026-24001", "Detention Standards for Family Residential Centers", "Proposed Rule",
             _day(1), closes=_day(-30)),
        _doc("2026-23990", "Privacy Act of 1974; System of Records", "Notice", _day(3)),
        _doc("2026-23001", "Airworthiness Directives; Boeing", "Rule", _day(1), agencies=[FAA]),
    ]).start()
    yield server
    server.stop()



def _rt(tmp_path, fr, webhook):
    extra = f'''[[records]]
provider = "federal-register"
agencies = ["u-s-immigration-and-customs-enforcement", "homeland-security-department"]
document_types = ["PRORULE", "RULE", "NOTICE"]
interval = "1h"
base_url = "{fr.base}"
'''
    return load_runtime(write_config(tmp_path, [], extra=extra,
                                     subscribers=[{"name": "desk", "notify": [webhook.url]}]))


def test_the_server_leaves_out_comment_dates_unless_asked(fr):
    _, plain = fr.answer([("conditions[agencies][]", "homeland-security-department")])
    assert "comments_close_on" not in plain["results"][0]
    _, asked = fr.answer([("fields[]", "comments_close_on"), ("fields[]", "title")])
    assert set(asked["results"][0]) == {"comments_close_on", "title"}
    _, none = fr.answer([("conditions[agencies][]", "nobody")])
    assert none["count"] == 0 and "results" not in none


def test_documents_alert_with_agency_type_title_dates_and_comment_deadline(tmp_path, fr,
                                                                           webhook):
    rt = _rt(tmp_path, fr, webhook)
    try:
        assert poll_cycle(rt, force=True).feeds_failed == 0
        query = fr.queries[0]
        assert ("fields[]", "comments_close_on") in query and ("order", "newest") in query
        assert ("conditions[type][]", "PRORULE") in query
        assert ("conditions[publication_date][gte]", _day(7)) in query
        with rt.db.session() as s:
            titles = sorted(s.scalars(select(Story.title)))
            record = s.scalars(select(Record).where(Record.record_id == "2026-24001")).one()
        assert titles == [
            "U.S. Immigration and Customs Enforcement notice: Privacy Act of 1974; System of "
            "Records",
            "U.S. Immigration and Customs Enforcement proposed rule: Detention Standards for "
            f"Family Residential Centers (comments close {_day(-30)})"]
        assert record.acted_on == _day(1) and record.action == "Proposed Rule"
        deliver_due(rt)
        rule = next(m for m in webhook.received if "Detention Standards" in m["title"])
        assert f"Comments close: {_day(-30)}" in rule["message"]
        assert f"Published: {_day(1)}" in rule["message"]
        assert "Type: Proposed Rule" in rule["message"]
        assert "https://www.federalregister.gov/documents/" in rule["message"]
        webhook.received.clear()
        assert poll_cycle(rt, force=True).new_stories == 0
        deliver_due(rt)
        assert webhook.received == []
    finally:
        rt.close()


def test_pages_are_followed_and_a_429_is_backed_off(tmp_path, fr, webhook):
    fr.documents += [_doc(f"2026-2{n:04d}", f"Notice number {n} on ICE detention", "Notice",
                          _day(2)) for n in range(150)]
    rt = _rt(tmp_path, fr, webhook)
    try:
        fr.fail = [429]
        assert poll_cycle(rt, force=True).feeds_failed == 1
        with rt.db.session() as s:
            feed = s.scalars(select(Feed).where(Feed.kind == "federal-register")).one()
            assert feed.last_error == "HTTP 429"
            assert feed.next_poll_at >= datetime.now(UTC) + timedelta(minutes=59)
        fr.queries.clear()
        poll_cycle(rt, force=True)
        assert [dict(q)["page"] for q in fr.queries] == ["1", "2"]
        with rt.db.session() as s:
            assert len(list(s.scalars(select(Record)))) == 152
    finally:
        rt.close()


def test_a_document_also_read_from_the_agencys_feed_is_one_story_alerted_once(tmp_path, fr,
                                                                              webhook):
    """config.example.toml follows ICE's Federal Register RSS and the documents API both: one
    document is one story, alerted once, whichever arrives first."""
    doc = fr.documents[0]
    feeds = FeedServer().start()
    url = feeds.add("/ice.rss", (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Federal Register: ICE</title>'
        f'<item><title>{doc["title"]}</title><link>{doc["html_url"]}</link>'
        f'<description>{doc["abstract"]}</description></item></channel></rss>').encode())
    extra = f'''[[records]]
provider = "federal-register"
agencies = ["u-s-immigration-and-customs-enforcement", "homeland-security-department"]
interval = "1h"
base_url = "{fr.base}"
'''
    rt = load_runtime(write_config(tmp_path, [url], extra=extra,
                                   subscribers=[{"name": "desk", "notify": [webhook.url]}]))
    try:
        assert poll_cycle(rt, force=True).feeds_failed == 0
        deliver_due(rt)
        with rt.db.session() as s:
            links = list(s.scalars(select(Story.link).where(Story.link == doc["html_url"])))
        assert links == [doc["html_url"]]
        assert len([m for m in webhook.received if "Detention Standards" in m["title"]]) == 1
    finally:
        rt.close()
        feeds.stop()
