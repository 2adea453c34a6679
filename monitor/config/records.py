"""``[[records]]``: public-record sources (USAspending awards, SEC EDGAR filings, Federal
Register documents), each key declared once; which keys fit which provider is checked here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from monitor.config.problems import Reader
from monitor.config.schema import Dropped, Refused, Spot, duration, key, string

PROVIDERS = {  # provider -> (its default base URL, the keys only it takes)
    "usaspending": ("https://api.usaspending.gov", {"agencies", "award_types", "recipients",
                                                   "lookback"}),
    "edgar": ("https://www.sec.gov", {"companies", "forms"}),
    "federal-register": ("https://www.federalregister.gov", {"agencies", "document_types",
                                                            "lookback"}),
}
AWARD_TYPES = ("contracts", "idvs", "grants", "loans", "other")
DOCUMENT_TYPES = ("RULE", "PRORULE", "NOTICE", "PRESDOCU")
DEFAULT_RECORDS_INTERVAL = 6 * 3600.0


def provider(value: Any, spot: Spot) -> str | None:
    """One of the providers; anything else leaves the entry out."""
    name = string(value, spot)
    if name is not None and name not in PROVIDERS:
        raise Dropped(f"unknown records provider {name!r} (one of: {', '.join(PROVIDERS)})")
    return name


def _only_for(spot: Spot, value: Any) -> None:
    """Refuse a key its provider does not take."""
    chosen = spot.row.get("provider")
    if value is not None and chosen in PROVIDERS and spot.name not in PROVIDERS[chosen][1]:
        raise Refused(f"{spot.name} does not apply to provider {chosen!r}")


def strings(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """A list of non-empty strings (None when absent)."""
    _only_for(spot, value)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise Refused(f"{spot.name} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def award_types(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """USAspending award type groups, each asked on its own."""
    chosen = strings(value, spot)
    bad = [v for v in chosen or () if v not in AWARD_TYPES]
    if bad:
        raise Refused(f"award_types: unknown {', '.join(map(repr, bad))} "
                      f"(one of: {', '.join(AWARD_TYPES)})")
    return chosen


def document_types(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """Federal Register document types as its API names them."""
    chosen = strings(value, spot)
    chosen = tuple(v.upper() for v in chosen) if chosen else chosen
    bad = [v for v in chosen or () if v not in DOCUMENT_TYPES]
    if bad:
        raise Refused(f"document_types: unknown {', '.join(map(repr, bad))} "
                      f"(one of: {', '.join(DOCUMENT_TYPES)})")
    return chosen


def companies(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """Company names or CIK numbers (integers or strings of digits)."""
    _only_for(spot, value)
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(
            (isinstance(v, int) and not isinstance(v, bool) and v > 0)
            or (isinstance(v, str) and v.strip()) for v in value):
        raise Refused("companies must be a list of company names or CIK numbers")
    return tuple(str(v).strip() for v in value)


def lookback(value: Any, spot: Spot) -> float | None:
    _only_for(spot, value)
    return duration(value, spot)


def base_url(value: Any, spot: Spot) -> str | None:
    """An http(s) URL without query or fragment; absent: the provider's own host."""
    url = string(value, spot)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise Refused(f"base_url must be an http:// or https:// URL, got {url!r}")
    return url.rstrip("/")


@dataclass(frozen=True)
class RecordsConfig:
    """One records source; keys a provider does not take are refused at their line."""

    provider: str = key(provider, required=True)
    name: str | None = key(string, None)
    interval: float = key(duration, DEFAULT_RECORDS_INTERVAL)
    base_url: str | None = key(base_url, None)
    agencies: tuple[str, ...] | None = key(strings, None)
    award_types: tuple[str, ...] | None = key(award_types, None)
    recipients: tuple[str, ...] | None = key(strings, None)
    lookback: float | None = key(lookback, None)
    companies: tuple[str, ...] | None = key(companies, None)
    forms: tuple[str, ...] | None = key(strings, None)
    document_types: tuple[str, ...] | None = key(document_types, None)

    @property
    def url(self) -> str:
        """Where the provider is asked."""
        return self.base_url or PROVIDERS[self.provider][0]


def check_records(reader: Reader, raw: dict[str, Any], contact: str) -> None:
    """What no single key sees: EDGAR needs ``[polling] contact`` (the SEC refuses clients
    whose User-Agent names no one to contact) and companies; reported at the entry's line."""
    entries = raw.get("records")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or entry.get("provider") != "edgar":
            continue
        line = reader.lines.table("records", index)
        if not contact:
            reader.error(line, 'provider "edgar" needs [polling] contact: the SEC asks every '
                               "client for a User-Agent naming who to contact")
        if not entry.get("companies"):
            reader.error(line, 'provider "edgar" needs companies (names or CIK numbers)')
