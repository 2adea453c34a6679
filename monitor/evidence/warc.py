"""A standard WARC of a stored page (warcio): a request record, the response record with the
headers and bytes as fetched, and a metadata record carrying our SHA-256 of those bytes, so a
third party can check the payload against the hash we kept."""

from __future__ import annotations

from io import BytesIO
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.evidence import header_pairs, raw_body
from storage.models import PageVersion

# Headers describing a transfer we no longer have: the stored bytes are the decoded payload.
TRANSFER = {"content-encoding", "transfer-encoding", "content-length"}
REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 410: "Gone"}


def http_headers(version: PageVersion, payload: bytes) -> StatusAndHeaders:
    """The response's status line and headers as fetched; transfer headers that no longer fit
    the stored (decoded) payload are kept under ``X-Archive-Orig-`` and the length is ours."""
    pairs: list[tuple[str, str]] = []
    for name, value in header_pairs(version):
        pairs.append((f"X-Archive-Orig-{name}" if name.lower() in TRANSFER else name, value))
    pairs.append(("Content-Length", str(len(payload))))
    status = f"{version.status} {REASONS.get(version.status, 'Status')}"
    return StatusAndHeaders(status, pairs, protocol="HTTP/1.1")


def write_warc(versions: list[PageVersion], out: BinaryIO, user_agent: str = "") -> None:
    """Write every version of a story as request, response and metadata records (gzipped)."""
    writer = WARCWriter(out, gzip=True)
    for version in versions:
        payload = raw_body(version)
        date = version.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        uri = version.final_url
        parts = urlsplit(uri)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = [("Host", parts.netloc)] + ([("User-Agent", user_agent)] if user_agent else [])
        req = writer.create_warc_record(
            uri, "request", payload=BytesIO(b""),
            http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1", request, is_http_request=True),
            warc_headers_dict={"WARC-Date": date})
        resp = writer.create_warc_record(
            uri, "response", payload=BytesIO(payload),
            http_headers=http_headers(version, payload),
            warc_headers_dict={"WARC-Date": date})
        record_id = resp.rec_headers.get_header("WARC-Record-ID")
        req.rec_headers.add_header("WARC-Concurrent-To", record_id)
        meta = (f"sha256: {version.sha256}\n"
                f"version: {version.version}\n"
                f"kind: {version.kind}\n"
                f"requested-url: {version.url}\n").encode()
        metadata = writer.create_warc_record(
            uri, "metadata", payload=BytesIO(meta),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
        writer.write_record(resp)
        writer.write_record(req)
        writer.write_record(metadata)
