"""A loopback USAspending API: ``spending_by_award``, ``spending_by_transaction`` and an
award's own record (``/api/v2/awards/{id}/``) as the
real api.usaspending.gov answers them (usaspending-api ``api_contracts``): the same request
checks (one award type group per request, sort among the fields, limit bounds) with the same
error bodies, the same response shapes (``page_metadata``), only the fields asked for."""

from __future__ import annotations

import json
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import Loopback, reply_json

AWARDS = "/api/v2/search/spending_by_award/"
TRANSACTIONS = "/api/v2/search/spending_by_transaction/"
DETAIL = "/api/v2/awards/"
GROUPS = {
    "contracts": {"A": "BPA Call", "B": "Purchase Order", "C": "Delivery Order",
                  "D": "Definitive Contract"},
    "loans": {"07": "Direct Loan", "08": "Guaranteed/Insured Loan"},
    "idvs": {"IDV_A": "GWAC Government Wide Acquisition Contract", "IDV_B": "IDC Multi-Agency "
             "Contract, Other Indefinite Delivery Contract", "IDV_B_A": "IDC Indefinite Delivery "
             "Contract / Requirements", "IDV_B_B": "IDC Indefinite Delivery Contract / Indefinite "
             "Quantity", "IDV_B_C": "IDC Indefinite Delivery Contract / Definite Quantity",
             "IDV_C": "FSS Federal Supply Schedule", "IDV_D": "BOA Basic Ordering Agreement",
             "IDV_E": "BPA Blanket Purchase Agreement"},
    "grants": {"02": "Block Grant", "03": "Formula Grant", "04": "Project Grant",
               "05": "Cooperative Agreement"},
    "other_financial_assistance": {"09": "Insurance", "11": "Other Financial Assistance",
                                   "-1": "Not Specified"},
    "direct_payments": {"06": "Direct Payment for Specified Use",
                        "10": "Direct Payment with Unrestricted Use"},
}
ALWAYS = ("internal_id", "generated_internal_id")


@dataclass
class Award:
    """One award on the server, with its transactions (modification number -> row)."""

    generated_internal_id: str
    type_code: str
    fields: dict[str, Any]  # "Award ID", "Recipient Name", "Award Amount", "Description"…
    date_signed: str
    transactions: list[dict[str, Any]] = field(default_factory=list)


class UsaSpendingServer(Loopback):
    """The two search endpoints on 127.0.0.1. ``awards`` is the data; ``fail`` is a queue of
    statuses the next requests get instead (500, or 429 with Retry-After); ``requests``
    holds every request body by path."""

    def __init__(self, awards: list[Award]) -> None:
        self.awards = awards
        self.fail: list[int] = []
        self.requests: list[tuple[str, dict]] = []
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))
                                  or b"{}")
                with lock:
                    owner.requests.append((self.path, body))
                    failing = owner.fail.pop(0) if owner.fail else None
                if failing == 429:
                    self._send(429, {"detail": "Request was throttled."}, {"Retry-After": "120"})
                elif failing is not None:
                    self._send(failing, {"detail": "An internal server error occurred."})
                elif self.path not in (AWARDS, TRANSACTIONS):
                    self._send(404, {"detail": "Not found."})
                else:
                    self._send(*owner.answer(self.path, body))

            def do_GET(self) -> None:
                with lock:
                    owner.requests.append((self.path, {}))
                    failing = owner.fail.pop(0) if owner.fail else None
                found = next((a for a in owner.awards
                              if self.path == f"{DETAIL}{a.generated_internal_id}/"), None)
                if failing is not None:
                    self._send(failing, {"detail": "An internal server error occurred."})
                elif not self.path.startswith(DETAIL) or found is None:
                    award = self.path.removeprefix(DETAIL).strip("/")
                    self._send(404, {"detail": f"No Award found with: '{award}'"})
                else:
                    self._send(200, owner.detail(found))

            def _send(self, status: int, doc: dict, headers: dict | None = None) -> None:
                reply_json(self, status, doc, headers)

        super().__init__(Handler)


    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        """The status and document the real API gives for ``body``."""
        filters, fields = body.get("filters"), body.get("fields")
        if not isinstance(filters, dict) or not isinstance(fields, list) or not fields:
            missing = "filters" if not isinstance(filters, dict) else "fields"
            return 422, {"detail": f"Missing value: '{missing}' is a required field"}
        codes = filters.get("award_type_codes")
        if not codes:
            return 422, {"detail": "Missing value: 'filters|award_type_codes' is a required "
                                   "field"}
        group = next((g for g, c in GROUPS.items() if set(codes) <= set(c)), None)
        if group is None:
            return 422, {"detail": {"message": "'award_type_codes' must only contain types "
                                               "from one group.", "award_type_groups": GROUPS}}
        limit, page = body.get("limit", 10), body.get("page", 1)
        top = 100 if path == AWARDS else 5000
        if not isinstance(limit, int) or limit > top or limit < 1:
            return 422, {"detail": f"Field 'limit' value '{limit}' is above max '{top}'"}
        sort = body.get("sort", fields[0])
        if sort not in fields:
            return 400, {"detail": f"Sort value '{sort}' not found in requested fields: "
                                   f"{fields}"}
        rows = self._rows(path, filters, codes)
        rows.sort(key=lambda r: (r.get(sort) is None, r.get(sort)),
                  reverse=body.get("order", "desc") == "desc")
        chunk = rows[(page - 1) * limit: page * limit]
        more = len(rows) > page * limit
        results = [{k: v for k, v in r.items() if k in fields or k in ALWAYS} for r in chunk]
        if path == AWARDS:
            return 200, {"spending_level": "awards", "limit": limit, "results": results,
                         "page_metadata": {"page": page, "hasNext": more},
                         "messages": []}
        return 200, {"limit": limit, "results": results, "page_metadata": {
            "page": page, "hasNext": more, "hasPrevious": page > 1,
            "next": page + 1 if more else None, "previous": page - 1 if page > 1 else None}}

    def detail(self, award: Award) -> dict[str, Any]:
        """``/api/v2/awards/{id}/`` for a contract or IDV: the fields the contract documents
        (ContractResponse) that the monitor reads, plus their neighbours."""
        total = round(sum(float(t["Transaction Amount"]) for t in award.transactions), 2)
        fields = award.fields
        return {
            "id": zlib.crc32(award.generated_internal_id.encode()),
            "generated_unique_award_id": award.generated_internal_id,
            "piid": fields.get("Award ID"), "category": "idv" if award.type_code.startswith(
                "IDV") else "contract", "type": award.type_code,
            "type_description": GROUPS_BY_CODE.get(award.type_code),
            "description": fields.get("Description"), "total_obligation": total,
            "subaward_count": 0, "total_subaward_amount": None,
            "date_signed": award.date_signed, "base_exercised_options": total,
            "base_and_all_options": fields.get("base_and_all_options", total),
            "awarding_agency": {"id": 800, "has_agency_page": True, "toptier_agency": {
                "name": fields.get("Awarding Agency"), "code": "070", "abbreviation": "DHS",
                "slug": "department-of-homeland-security"}, "subtier_agency": {
                "name": fields.get("Awarding Sub Agency"), "code": "7012",
                "abbreviation": "ICE"}, "office_agency_name": None},
            "recipient": {"recipient_name": fields.get("Recipient Name"),
                          "recipient_uei": None, "business_categories": []},
            "period_of_performance": {"start_date": fields.get("Start Date"),
                                      "end_date": fields.get("End Date"),
                                      "last_modified_date": f"{award.date_signed} 00:00:00",
                                      "potential_end_date": None},
        }

    def _rows(self, path: str, filters: dict, codes: list[str]) -> list[dict]:
        periods = filters.get("time_period") or [{"start_date": "0000", "end_date": "9999"}]
        agencies = [a["name"].casefold() for a in filters.get("agencies", [])
                    if a.get("type") == "awarding"]
        texts = [t.casefold() for t in filters.get("recipient_search_text", [])]
        rows = []
        for award in self.awards:
            sub = str(award.fields.get("Awarding Sub Agency", "")).casefold()
            name = str(award.fields.get("Recipient Name", "")).casefold()
            if award.type_code not in codes or (agencies and sub not in agencies) \
                    or (texts and not any(t in name for t in texts)):
                continue
            base = {**award.fields, "internal_id": zlib.crc32(award.generated_internal_id.encode()),
                    "generated_internal_id": award.generated_internal_id}
            if path == AWARDS:
                if any(p["start_date"] <= award.date_signed <= p["end_date"] for p in periods):
                    rows.append(base)
                continue
            for tx in award.transactions:
                if any(p["start_date"] <= tx["Action Date"] <= p["end_date"] for p in periods):
                    rows.append({**{k: base.get(k) for k in ("Award ID", "Recipient Name",
                                                             "Awarding Agency",
                                                             "Awarding Sub Agency")},
                                 "internal_id": str(base["internal_id"]),
                                 "generated_internal_id": award.generated_internal_id,
                                 "Award Type": GROUPS_BY_CODE.get(award.type_code), **tx})
        return rows




GROUPS_BY_CODE = {code: name for group in GROUPS.values() for code, name in group.items()}
