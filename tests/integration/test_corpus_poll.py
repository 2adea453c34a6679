"""Every file of feedparser's own test suite (2,000+ odd and broken feeds) in one poll-once."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.corpus import CORPUS
from tests.support.helpers import run_cli, write_config

FEEDPARSER_TESTS = CORPUS / "feedparser-tests"
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.MULTILINE)


def _headers(body: bytes) -> dict[str, str]:
    """Content-Type from the file's ``Header:`` comment lines (the suite's simulated HTTP)."""
    found = {k.decode("latin-1").lower(): v.decode("latin-1")
             for k, v in _HEADER.findall(body[:2000])}
    return {"Content-Type": found.get("content-type", "application/xml")}


@pytest.mark.slow
@pytest.mark.skipif(not FEEDPARSER_TESTS.is_dir(),
                    reason=f"shared corpus absent: {FEEDPARSER_TESTS}")
def test_whole_feedparser_suite_in_one_poll(tmp_path, feed_server):
    files = sorted(p for p in FEEDPARSER_TESTS.rglob("*") if p.is_file())
    assert len(files) > 2000
    urls = []
    for i, path in enumerate(files):
        body = path.read_bytes()
        headers = _headers(body)
        urls.append(feed_server.add(f"/{i}/{path.name}", body, headers.pop("Content-Type"),
                                    headers=headers))
    config = write_config(tmp_path, urls, extra="concurrency = 100\nper_host = 100")
    started = time.monotonic()
    result = run_cli("poll-once", "--json", "--config", str(config), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["feeds_polled"] == len(files)
    assert summary["new_stories"] > 300
    assert 500 < summary["feeds_fast_parsed"] < len(files)  # both parsers took part
    assert time.monotonic() - started < 240
    feeds = json.loads(run_cli("feeds", "--format", "json", "--config", str(config)).stdout)
    assert len(feeds) == len(files)
    assert not [f for f in feeds if (f["last_error"] or "").startswith("storage error")]
