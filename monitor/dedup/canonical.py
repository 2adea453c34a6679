"""Canonical story links, so the same article reached through different URLs is stored once."""

from __future__ import annotations

import re
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
    url = url.strip()
    simple = simple_canonical(url)
    return simple if simple != NOT_SIMPLE else w3lib_canonical(url)


def w3lib_canonical(url: str) -> str | None:
    """``canonical_url`` by w3lib for any link: the reference the fast path is checked on."""
    try:
        return _canonical(url.strip())
    except ValueError:
        return None


NOT_SIMPLE = ""  # simple_canonical's answer for a link it leaves to w3lib
# The common shape of a feed's links, which w3lib would leave as it is but for its query order
# and tracking parameters: lower-case host, no port or user, path and query of unreserved
# characters. tests/unit/dedup/test_canonical.py checks the two agree.
_SIMPLE = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(/[A-Za-z0-9._~/-]*)?"
                     r"(?:\?([A-Za-z0-9._~=&-]*))?(?:#.*)?", re.S)


def simple_canonical(url: str) -> str | None:
    """``w3lib_canonical``'s answer without w3lib (~10x faster) for a link of the common shape;
    NOT_SIMPLE for any other (dot segments, doubled slashes, ``=`` in a value...)."""
    m = _SIMPLE.fullmatch(url)
    if m is None:
        return NOT_SIMPLE
    _, host, path, query = m.groups()
    path = path or "/"
    if "/." in path or "//" in path:
        return NOT_SIMPLE
    pairs = []
    if query:
        items = [item for item in query.split("&") if item]
        keys = [item.partition("=")[0] for item in items]
        if any(k.lower().startswith("utm_") or k in TRACKING_PARAMS for k in keys):
            seen: set[str] = set()  # w3lib's url_query_cleaner keeps a key's first occurrence
            kept = []
            for item, key in zip(items, keys, strict=True):
                if key not in seen:
                    seen.add(key)
                    if not (key.lower().startswith("utm_") or key in TRACKING_PARAMS):
                        kept.append(item)
            items = kept
        for item in items:
            key, _, value = item.partition("=")
            if "=" in value:
                return NOT_SIMPLE
            pairs.append((key, value))
        pairs.sort()
    canon = f"https://{host}{path}"
    if pairs:
        canon += "?" + "&".join(f"{k}={v}" for k, v in pairs)
    canon = canon.rstrip("/") if canon.count("/") > 3 else canon
    return canon if len(canon) <= MAX_URL_BYTES else None


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
