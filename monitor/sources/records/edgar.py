"""SEC EDGAR filings: each company's filing feed (browse-edgar Atom) for each chosen form.

Companies are CIK numbers or names; names are looked up in the SEC's company_tickers.json at
the start of a poll. The SEC asks for a User-Agent naming a contact (the fetcher's, from
``[polling] contact``, which the config check requires) and at most 10 requests a second."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

from lxml import etree

from monitor.sources.base import Politeness, Request, Response, Source, SourceRecord
from monitor.sources.entry import Entry, Parsed
from monitor.sources.records.common import day, display_name, facts_line, record_entry
from monitor.text import error_line

TICKERS = "/files/company_tickers.json"
BROWSE = "/cgi-bin/browse-edgar"
ATOM = "{http://www.w3.org/2005/Atom}"
COUNT = 40
_SUFFIXES = {"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "plc",
             "llc", "the", "com", "holdings"}


def _words(name: str) -> tuple[str, ...]:
    """A company name's words, lower-case, without punctuation or corporate suffixes."""
    return tuple(w for w in re.split(r"[^a-z0-9]+", name.casefold())
                 if w and w not in _SUFFIXES)


def resolve(companies: Sequence[str], tickers: Mapping[str, Any]) -> list[str]:
    """CIKs (ten digits) for ``companies``: numbers as given; a name by the same words, else
    its ticker, else the first (largest) company whose name starts with its words; a name
    found nowhere is left out."""
    rows = [r for r in tickers.values() if isinstance(r, dict)]
    ciks = []
    for company in companies:
        if company.isdigit():
            ciks.append(company.zfill(10))
            continue
        words = _words(company)
        found = (next((r for r in rows if _words(str(r.get("title", ""))) == words), None)
                 or next((r for r in rows if str(r.get("ticker", "")).casefold()
                          == company.casefold()), None)
                 or next((r for r in rows if words
                          and _words(str(r.get("title", "")))[:len(words)] == words), None))
        if found is not None:
            ciks.append(str(found["cik_str"]).zfill(10))
    return list(dict.fromkeys(ciks))


def unresolved(companies: Sequence[str], tickers_json: bytes) -> list[str]:
    """The company names ``company_tickers.json`` does not know (said in every poll's log)."""
    try:
        tickers = json.loads(tickers_json)
    except ValueError:
        return [c for c in companies if not c.isdigit()]
    return [c for c in companies if not c.isdigit() and not resolve([c], tickers)]


class Edgar(Source):
    """Filings of chosen companies and forms from www.sec.gov (base_url configurable)."""

    name = "edgar"
    politeness = Politeness(per_host=1, min_interval=0.101, max_pages=200)  # <= 10 a second

    def request(self, source: SourceRecord) -> Request:
        companies = list(source.params["companies"])
        first = self._feed(source, [c.zfill(10) for c in companies], 0)
        if all(c.isdigit() for c in companies) and first is not None:
            return first
        return Request(source.endpoint + TICKERS, headers={"Accept": "application/json"})

    def next_request(self, source: SourceRecord, sent: Request,
                     response: Response) -> Request | None:
        url, plan = urldefrag(sent.url)
        if url.endswith(TICKERS):
            ciks = resolve(list(source.params["companies"]), json.loads(response.body))
            return self._feed(source, ciks, 0) if ciks else None
        ciks = plan.removeprefix("ciks=").split(",")
        return self._feed(source, ciks, _step(ciks, url, source) + 1)

    def _feed(self, source: SourceRecord, ciks: list[str], step: int) -> Request | None:
        """The feed of step ``step``: company ``step // forms``, form ``step % forms``; the
        plan rides in the fragment, which is never sent."""
        forms = list(source.params.get("forms") or ["8-K", "10-K", "10-Q"])
        if step >= len(ciks) * len(forms):
            return None
        query = urlencode({"action": "getcompany", "CIK": ciks[step // len(forms)],
                           "type": forms[step % len(forms)], "dateb": "", "owner": "include",
                           "count": COUNT, "output": "atom"})
        return Request(f"{source.endpoint}{BROWSE}?{query}#ciks={','.join(ciks)}",
                       headers={"Accept": "application/atom+xml"})

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        forms = {f.upper() for f in params.get("forms") or ["8-K", "10-K", "10-Q"]}
        entries: dict[str, Entry] = {}
        skipped = 0
        missing: list[str] = []
        for page in pages:
            if urldefrag(page.url).url.endswith(TICKERS):
                missing = unresolved(list(params["companies"]), page.body)
                continue
            try:
                root = etree.fromstring(page.body, etree.XMLParser(resolve_entities=False,
                                                                   no_network=True))
            except etree.XMLSyntaxError as exc:
                return Parsed([], error=f"not an EDGAR feed: {error_line(exc)}")
            company = _text(root, f"{ATOM}company-info/{ATOM}conformed-name")
            for node in root.iter(f"{ATOM}entry"):
                try:
                    entry = _filing(node, company)
                except (KeyError, ValueError):
                    skipped += 1
                    continue
                form = entry.record["form"] if entry.record else ""
                if form.upper() in forms or form.upper().removesuffix("/A") in forms:
                    entries.setdefault(entry.key, entry)
        reason = (f"no CIK found for {', '.join(map(repr, missing))} in company_tickers.json"
                  if missing else "an entry without accession number, form or link")
        return Parsed(list(entries.values()), title="SEC EDGAR filings",
                      skipped=skipped + len(missing),
                      skip_reason=reason if skipped or missing else None)


def _step(ciks: list[str], url: str, source: SourceRecord) -> int:
    """Which step of the plan ``url`` was (its company and form)."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    forms = list(source.params.get("forms") or ["8-K", "10-K", "10-Q"])
    return ciks.index(query["CIK"]) * len(forms) + forms.index(query["type"])


def _text(node: Any, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _attr(node: Any, path: str, name: str) -> str:
    """An attribute of a child element; empty when the child is missing (the entry is then
    skipped, not the poll failed)."""
    found = node.find(path)
    return (found.get(name) or "").strip() if found is not None else ""


def _filing(node: Any, company: str) -> Entry:
    """One filing: company, form, filing date, the filing index as its link."""
    content = f"{ATOM}content/{ATOM}"
    accession = _text(node, content + "accession-number")
    href = _text(node, content + "filing-href") or _attr(node, f"{ATOM}link", "href")
    form = _text(node, content + "filing-type") or _attr(node, f"{ATOM}category", "term")
    if not accession or not href or not form:
        raise KeyError("accession-number")
    filed = _text(node, content + "filing-date")
    form_name = _text(node, content + "form-name")
    items = _text(node, content + "items-desc")
    who = display_name(company) or "A company"
    title = f"{who} files {form}" + (f" ({form_name})" if form_name else "") + \
        (f" on {filed}" if filed else "") + (f": {items}" if items else "")
    summary = facts_line({"Company": company, "Form": form, "Filed": filed,
                          "Filing": form_name, "Items": items, "Accession": accession})
    facts = {"provider": "edgar", "record_id": accession, "action": f"{form} filing",
             "agency": "SEC", "recipient": company, "acted_on": filed, "form": form,
             "company": company, "filing_date": filed}
    return record_entry(f"edgar:{accession}", href, title, summary,
                        day(_text(node, f"{ATOM}updated")) or day(filed), facts)


EDGAR = Edgar()
