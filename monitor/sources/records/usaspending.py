"""USAspending.gov: new awards (``spending_by_award``) and new modifications of any award
(``spending_by_transaction``) from chosen awarding agencies to chosen recipients.

The API refuses a request whose award type codes span two groups, so a poll asks each group
on its own: for each group its new awards, then its transactions, page by page, each page's
modified awards looked up (``GET /api/v2/awards/{id}/``) for their totals. Each award and each
modification is a story of its own, keyed by award and modification number."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote, urldefrag

from monitor.sources.base import Politeness, Request, Response, Source, SourceRecord
from monitor.sources.entry import Entry, Parsed
from monitor.sources.records.common import (
    clip,
    day,
    display_name,
    exact_money,
    facts_line,
    money,
    record_entry,
    short_agency,
    window,
)
from monitor.text import error_line

BASE_URL = "https://api.usaspending.gov"
AWARDS_PATH = "/api/v2/search/spending_by_award/"
TRANSACTIONS_PATH = "/api/v2/search/spending_by_transaction/"
DETAIL_PATH = "/api/v2/awards/"
AWARD_PAGE = "https://www.usaspending.gov/award/"
LIMIT = 100  # the most spending_by_award answers in a page

GROUPS = {  # award_types as the config names them -> the API's codes (one group each)
    "contracts": ["A", "B", "C", "D"],
    "idvs": ["IDV_A", "IDV_B", "IDV_B_A", "IDV_B_B", "IDV_B_C", "IDV_C", "IDV_D", "IDV_E"],
    "grants": ["02", "03", "04", "05"],
    "loans": ["07", "08"],
    "other": ["09", "11", "-1"],
}
DEFAULT_GROUPS = ["contracts", "idvs"]
AMOUNT_FIELD = {"loans": "Loan Value"}  # the others report "Award Amount"
AWARD_FIELDS = ["Award ID", "Recipient Name", "Description", "Awarding Agency",
                "Awarding Sub Agency", "Base Obligation Date", "Last Modified Date",
                "generated_internal_id"]
DATED_FIELDS = {"contracts": ["Start Date", "End Date", "Award Amount"],
                "idvs": ["Start Date", "Award Amount"],
                "grants": ["Start Date", "End Date", "Award Amount"],
                "loans": ["Issued Date", "Loan Value"],
                "other": ["Start Date", "End Date", "Award Amount"]}
TRANSACTION_FIELDS = ["Award ID", "Mod", "Recipient Name", "Action Date", "Action Type",
                      "Transaction Amount", "Transaction Description", "Awarding Agency",
                      "Awarding Sub Agency", "Award Type", "internal_id", "generated_internal_id"]


class UsaSpending(Source):
    """Awards and modifications from api.usaspending.gov (base_url configurable)."""

    name = "usaspending"
    politeness = Politeness(per_host=1, min_interval=0.5, max_pages=200)

    def key(self, url: str, params: Mapping[str, Any]) -> str:
        return super().key(url.rstrip("/") + AWARDS_PATH, params)

    def request(self, source: SourceRecord) -> Request:
        start, end = window(source)
        period = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        return _search(source, AWARDS_PATH, _groups(source.params)[0], period, 1)

    def next_request(self, source: SourceRecord, sent: Request,
                     response: Response) -> Request | None:
        url, state = urldefrag(sent.url)
        if DETAIL_PATH in url:  # an award's totals; the plan rides in the fragment
            plan = json.loads(unquote(state))
            if plan["rest"]:
                return _detail(source, plan["rest"][0], {**plan, "rest": plan["rest"][1:]})
            return _after_transactions(source, plan["group"], plan["period"], plan["page"],
                                       plan["more"])
        asked = json.loads(sent.body or b"{}")
        group = _group_of(asked["filters"]["award_type_codes"])
        period = {k: v for k, v in asked["filters"]["time_period"][0].items() if k != "date_type"}
        answer = json.loads(response.body)
        more = bool(answer.get("page_metadata", {}).get("hasNext"))
        if url.endswith(AWARDS_PATH):
            return _search(source, AWARDS_PATH if more else TRANSACTIONS_PATH, group, period,
                           asked["page"] + 1 if more else 1)
        modified = list(dict.fromkeys(
            row["generated_internal_id"] for row in answer.get("results", [])
            if str(row.get("Mod") or "0") != "0" and row.get("generated_internal_id")))
        if modified:
            return _detail(source, modified[0], {"rest": modified[1:], "group": group,
                                                 "period": period, "page": asked["page"],
                                                 "more": more})
        return _after_transactions(source, group, period, asked["page"], more)

    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        entries: dict[str, Entry] = {}
        skipped = 0
        try:
            totals = {doc["generated_unique_award_id"]: doc for doc in (
                json.loads(p.body) for p in pages if DETAIL_PATH in urldefrag(p.url).url)}
            searches = [(p.url.endswith(AWARDS_PATH), json.loads(p.body)["results"])
                        for p in pages if DETAIL_PATH not in urldefrag(p.url).url]
        except (ValueError, KeyError, TypeError) as exc:
            return Parsed([], error=f"not a USAspending answer: {error_line(exc)}")
        for is_award, results in searches:
            for row in results:
                try:
                    entry = award_entry(row) if is_award else transaction_entry(
                        row, totals.get(row.get("generated_internal_id")))
                except (KeyError, TypeError, ValueError, AttributeError):
                    skipped += 1
                    continue
                if is_award or entry.key not in entries:  # an award's own row says more
                    entries[entry.key] = entry
        return Parsed(list(entries.values()), title="USAspending awards", skipped=skipped)


def _groups(params: Mapping[str, Any]) -> list[str]:
    return list(params.get("award_types") or DEFAULT_GROUPS)


def _group_of(codes: list[str]) -> str:
    for name, group in GROUPS.items():
        if set(codes) <= set(group):
            return name
    raise ValueError(f"award type codes {codes} are of no one group")


def _search(source: SourceRecord, path: str, group: str, period: dict[str, str],
            page: int) -> Request:
    """One page of one search: new awards (signed in the period) or transactions (acted on
    in it) of one award type group."""
    params = source.params
    filters: dict[str, Any] = {"award_type_codes": GROUPS[group]}
    if params.get("agencies"):
        filters["agencies"] = [{"type": "awarding", "tier": "subtier", "name": name}
                               for name in params["agencies"]]
    if params.get("recipients"):
        filters["recipient_search_text"] = list(params["recipients"])
    if path == AWARDS_PATH:
        filters["time_period"] = [{**period, "date_type": "date_signed"}]
        fields = AWARD_FIELDS + DATED_FIELDS[group]
        sort = AMOUNT_FIELD.get(group, "Award Amount")
        body = {"filters": filters, "fields": fields, "page": page, "limit": LIMIT,
                "sort": sort, "order": "desc", "subawards": False}
    else:
        filters["time_period"] = [period]
        body = {"filters": filters, "fields": TRANSACTION_FIELDS, "page": page, "limit": LIMIT,
                "sort": "Action Date", "order": "desc"}
    base = source.endpoint[: -len(AWARDS_PATH)] if source.endpoint.endswith(AWARDS_PATH) \
        else source.endpoint.rstrip("/")
    return Request(base + path, "POST", json.dumps(body).encode(),
                   {"Content-Type": "application/json", "Accept": "application/json"})


def _after_transactions(source: SourceRecord, group: str, period: dict[str, str], page: int,
                        more: bool) -> Request | None:
    """What follows a page of transactions: the next page, the next group's awards, or
    nothing after the last group."""
    if more:
        return _search(source, TRANSACTIONS_PATH, group, period, page + 1)
    groups = _groups(source.params)
    later = groups[groups.index(group) + 1:] if group in groups else []
    return _search(source, AWARDS_PATH, later[0], period, 1) if later else None


def _detail(source: SourceRecord, award: str, plan: dict[str, Any]) -> Request:
    """The award's own record (``GET /api/v2/awards/{id}/``): a modification's totals."""
    base = source.endpoint[: -len(AWARDS_PATH)]
    return Request(f"{base}{DETAIL_PATH}{quote(award, safe='')}/#{quote(json.dumps(plan))}",
                   headers={"Accept": "application/json"})


def _amount(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def award_entry(row: Mapping[str, Any]) -> Entry:
    """A new award: its base transaction's identity (modification 0)."""
    internal = row["generated_internal_id"]
    obligated = _amount(row.get("Award Amount", row.get("Loan Value")))
    signed = row.get("Base Obligation Date") or row.get("Start Date") or row.get("Issued Date")
    return _story(internal, "0", row, obligated, obligated, signed, row.get("Description") or "")


def transaction_entry(row: Mapping[str, Any], award: Mapping[str, Any] | None = None) -> Entry:
    """A transaction: modification N of an award (0 is the award itself), with the award's
    totals when its own record was read."""
    mod = str(row.get("Mod") or "0").strip() or "0"
    amount = _amount(row.get("Transaction Amount"))
    award = award or {}
    return _story(row["generated_internal_id"], mod, row, amount,
                  _amount(award.get("total_obligation")), row.get("Action Date"),
                  row.get("Transaction Description") or "",
                  _amount(award.get("base_and_all_options")))


def _story(internal: str, mod: str, row: Mapping[str, Any], obligated: float | None,
           total: float | None, acted: Any, description: str,
           potential: float | None = None) -> Entry:
    """The story of one award action: who, how much, what; the award's page as its link."""
    agency = row.get("Awarding Sub Agency") or row.get("Awarding Agency") or ""
    recipient = row.get("Recipient Name") or ""
    award_id = row.get("Award ID") or internal
    action = "award" if mod == "0" else f"modification {mod}"
    what = f" ({action})" if mod != "0" else ""
    who = display_name(recipient)
    head = (f"{short_agency(agency)} awards {who} {money(obligated)}".rstrip()
            if (obligated or 0) >= 0 else
            f"{short_agency(agency)} deobligates {money(-(obligated or 0))} from {who}")
    said = description.lower() if description.isupper() else description  # FPDS shouts
    title = f"{head}{what}: {clip(said)}" if description else head + what
    when = day(acted)
    acted_on = when.date().isoformat() if when else ""
    summary = facts_line({
        "Agency": agency, "Recipient": recipient, "Action": action, "Date": acted_on,
        "Obligated": exact_money(obligated), "Total obligated": exact_money(total),
        "Potential value": exact_money(potential), "Award": award_id,
        "Period": " to ".join(d for d in (row.get("Start Date"), row.get("End Date")) if d),
        "Description": " ".join(description.split())})
    facts = {"provider": "usaspending", "record_id": f"{internal}/{mod}", "action": action,
             "agency": agency, "recipient": recipient, "amount_obligated": obligated,
             "amount_total": total, "acted_on": acted_on, "award_id": award_id,
             "modification": mod, "description": description,
             "potential_value": potential, "page_shared": True}
    return record_entry(f"{internal}/{mod}", AWARD_PAGE + internal, title, summary, when,
                        facts)


USASPENDING = UsaSpending()
