"""Hostile answers cost one entry, never a whole poll: a search item dated in the year
99999999999, an EDGAR filing without a link or form."""

from __future__ import annotations

from monitor.sources.base import Response
from monitor.sources.records.edgar import EDGAR
from monitor.sources.search.parse import parse_rss

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>q - Google News</title>
<item><title>GEO Group wins contract - Outlet</title><link>https://outlet.example/a</link>
<pubDate>Mon, 01 Jan 99999999999 00:00:00 GMT</pubDate><source url="https://outlet.example">Outlet
</source></item></channel></rss>"""

ATOM = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<company-info><conformed-name>GEO GROUP INC</conformed-name></company-info>
<entry><title>8-K</title><content type="text/xml"><accession-number>0000923796-26-000001
</accession-number><filing-type>8-K</filing-type><filing-date>2026-11-02</filing-date>
<filing-href>https://www.sec.gov/Archives/edgar/data/923796/000092379626000001/index.htm
</filing-href></content></entry>
<entry><title>no link, no form</title><content type="text/xml"><accession-number>
0000923796-26-000002</accession-number></content></entry>
</feed>"""


def test_a_search_item_dated_beyond_any_calendar_is_kept_undated():
    parsed = parse_rss(RSS, "google-news")
    assert parsed.error is None
    assert [(e.title, e.published) for e in parsed.entries] == [("GEO Group wins contract", None)]


def test_an_edgar_filing_without_link_or_form_is_skipped_not_the_poll():
    page = Response("https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK=0000923796"
                    "&type=8-K&output=atom", 200, {}, ATOM.encode())
    parsed = EDGAR.parse([page], {"companies": ["923796"], "forms": ["8-K"]})
    assert parsed.error is None and parsed.skipped == 1
    assert [e.record["record_id"] for e in parsed.entries if e.record] == ["0000923796-26-000001"]
