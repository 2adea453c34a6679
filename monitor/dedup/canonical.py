"""Canonical story links, so the same article reached through different URLs is stored once."""

from __future__ import annotations

from urllib.parse import urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

from storage.links import web_link

MAX_URL_BYTES = 2000  # fits a PostgreSQL btree index entry; longer links dedup by GUID only

TRACKING_PARAMS = (
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
    "_hsenc", "_hsmi", "mkt_tok", "cmpid", "ocid", "smid", "smtyp", "ref_src", "CMP",
)


def canonical_url(url: str | None) -> str | None:
    """Lower-case host, sorted query, no fragment, no ``utm_*`` or click-tracking parameters."""
    if not url:
        return None
    try:
        return _canonical(url.strip())
    except ValueError:
        return None


def _canonical(url: str) -> str | None:
    parts = urlsplit(url)
    if not web_link(url) or parts.port == 0:
        return None
    params = [p.split("=", 1)[0] for p in parts.query.split("&") if p]
    drop = [p for p in params if p.lower().startswith("utm_") or p in TRACKING_PARAMS]
    if drop:
        url = url_query_cleaner(url, drop, remove=True, keep_fragments=True)
    canon = canonicalize_url(url, keep_fragments=False)
    scheme, rest = canon.split("://", 1)
    if scheme == "http":
        canon = "https://" + rest
    canon = canon.rstrip("/") if canon.count("/") > 3 else canon
    return canon if len(canon.encode()) <= MAX_URL_BYTES else None
