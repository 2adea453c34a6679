"""A loopback SEC EDGAR: ``/files/company_tickers.json`` and the company filing feeds
(``/cgi-bin/browse-edgar?action=getcompany&CIK=…&type=…&output=atom``) as www.sec.gov serves
them: the same Atom (``company-info``, entries with ``content type="text/xml"``), ``type`` a
prefix of the form, and a 403 "Undeclared Automated Tool" page for a User-Agent without a
contact. It notes each request's arrival time and User-Agent."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.support.servers import Loopback, reply

UNDECLARED = (b"<html><head><title>SEC.gov | Request Rate Threshold Exceeded</title></head>"
              b"<body><h1>Your Request Originates from an Undeclared Automated Tool</h1>"
              b"<p>To allow for equitable access to all users, SEC reserves the right to limit "
              b"requests originating from undeclared automated tools. Your request has been "
              b"identified as part of a network of automated tools outside of the acceptable "
              b"policy and will be managed until action is taken to declare your traffic.</p>"
              b"<p>Please declare your traffic by updating your user agent to include company "
              b"specific information.</p></body></html>")


@dataclass(frozen=True)
class Filing:
    cik: str  # ten digits
    accession: str
    form: str
    filed: str  # YYYY-MM-DD
    form_name: str = "Current report"
    items: str = ""


@dataclass(frozen=True)
class Company:
    cik: str
    name: str  # EDGAR's conformed name, e.g. "GEO GROUP INC"
    ticker: str


class EdgarServer(Loopback):
    """``companies`` and their ``filings``, newest first per company."""

    def __init__(self, companies: list[Company], filings: list[Filing]) -> None:
        self.companies, self.filings = companies, filings
        self.requests: list[tuple[float, str, str]] = []  # (monotonic time, path, user agent)
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                agent = self.headers.get("User-Agent", "")
                with lock:
                    owner.requests.append((time.monotonic(), self.path, agent))
                if "@" not in agent and "+http" not in agent:
                    self._send(403, UNDECLARED, "text/html")
                    return
                parts = urlsplit(self.path)
                if parts.path == "/files/company_tickers.json":
                    self._send(200, owner.tickers(), "application/json")
                elif parts.path == "/cgi-bin/browse-edgar":
                    query = {k: v[0] for k, v in parse_qs(parts.query,
                                                         keep_blank_values=True).items()}
                    body = owner.feed(query.get("CIK", ""), query.get("type", ""),
                                      int(query.get("count") or 40))
                    if body is None:
                        self._send(200, b"<html><body>No matching CIK.</body></html>",
                                   "text/html")
                    else:
                        self._send(200, body, "application/atom+xml")
                else:
                    self._send(404, b"Not Found", "text/html")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                reply(self, status, body, content_type)

        super().__init__(Handler)


    def tickers(self) -> bytes:
        return json.dumps({str(i): {"cik_str": int(c.cik), "ticker": c.ticker, "title": c.name}
                           for i, c in enumerate(self.companies)}).encode()

    def feed(self, cik: str, form: str, count: int) -> bytes | None:
        """The company's Atom feed of filings whose form starts with ``form``."""
        company = next((c for c in self.companies if c.cik == cik.zfill(10)), None)
        if company is None:
            return None
        base = "https://www.sec.gov"
        found = [f for f in self.filings if f.cik == company.cik and f.form.startswith(form)]
        entries = []
        for f in found[:count]:
            folder = f"{base}/Archives/edgar/data/{int(f.cik)}/{f.accession.replace('-', '')}"
            href = f"{folder}/{f.accession}-index.htm"
            entries.append(f"""<entry>
<category label="form type" scheme="https://www.sec.gov/" term="{escape(f.form)}" />
<content type="text/xml">
<accession-number>{f.accession}</accession-number>
<act>34</act>
<file-number>001-14260</file-number>
<filing-date>{f.filed}</filing-date>
<filing-href>{href}</filing-href>
<filing-type>{escape(f.form)}</filing-type>
<film-number>261184345</film-number>
<form-name>{escape(f.form_name)}</form-name>
{f"<items-desc>{escape(f.items)}</items-desc>" if f.items else ""}
<size>312 KB</size>
</content>
<id>urn:tag:sec.gov,2008:accession-number={f.accession}</id>
<link href="{href}" rel="alternate" type="text/html" />
<summary type="html"> &lt;b&gt;Filed:&lt;/b&gt; {f.filed} \
&lt;b&gt;AccNo:&lt;/b&gt; {f.accession} &lt;b&gt;Size:&lt;/b&gt; 312 KB</summary>
<title>{escape(f.form)}  - {escape(f.form_name)}</title>
<updated>{f.filed}T16:17:17-04:00</updated>
</entry>""")
        page = f"{base}/cgi-bin/browse-edgar?action=getcompany&amp;CIK={company.cik}"
        return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<feed xmlns="http://www.w3.org/2005/Atom">
<author><email>webmaster@sec.gov</email><name>Webmaster</name></author>
<company-info>
<addresses><address type="business"><city>BOCA RATON</city><state>FL</state></address></addresses>
<cik>{company.cik}</cik>
<conformed-name>{escape(company.name)}</conformed-name>
<fiscal-year-end>1231</fiscal-year-end>
<state-location>FL</state-location>
</company-info>
<id>{page}&amp;type={escape(form)}</id>
<link href="{page}" rel="alternate" type="text/html" />
<title>{escape(company.name)}  ({company.cik})</title>
<updated>2026-11-30T12:00:00-05:00</updated>
{"".join(entries)}
</feed>""".encode("iso-8859-1")


