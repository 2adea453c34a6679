"""``monitor evidence STORY_ID --warc FILE`` through the real CLI: warcio reads the WARC back,
the response payload hashes to the SHA-256 we kept (and a tampered copy does not), and
``monitor hits --format json`` names the story id and its versions."""

from __future__ import annotations

import gzip
import hashlib
import json

from warcio.archiveiterator import ArchiveIterator

from monitor.evidence.run import evidence_pass
from storage import evidence as store
from tests.support.evidence import FOUND, HEADLINE, add_story, article, evidence_runtime
from tests.support.helpers import run_cli


def records(path):
    with path.open("rb") as f:
        return [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
                for r in ArchiveIterator(f, check_digests=True)]


def test_warc_round_trip_and_the_hash_verifies(tmp_path, site):
    rt = evidence_runtime(tmp_path, [])
    page = article(HEADLINE)
    link = site.add("/news/raids", gzip.compress(page), headers={
        "Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
        "X-Served-By": "loopback"})
    story = add_story(rt, link, HEADLINE)
    evidence_pass(rt, now=FOUND)
    with rt.db.read() as s:
        kept = store.versions(s, story)[0]
        sha = kept.sha256
        assert store.raw_body(kept) == page  # the transfer decoding undone, the page as served
    rt.close()
    config = str(tmp_path / "config.toml")

    warc = tmp_path / "story.warc.gz"
    done = run_cli("--config", config, "evidence", str(story), "--warc", str(warc))
    assert done.returncode == 0, done.stderr
    assert sha in done.stdout and HEADLINE in done.stdout

    got = records(warc)
    assert [kind for kind, *_ in got] == ["response", "request", "metadata"]
    _, headers, http, payload = got[0]
    assert headers.get_header("WARC-Target-URI") == link
    assert headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert http.get_statuscode() == "200" and http.get_header("X-Served-By") == "loopback"
    assert http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert hashlib.sha256(payload).hexdigest() == sha
    assert f"sha256: {sha}".encode() in got[2][3]
    assert got[1][1].get_header("WARC-Concurrent-To") == headers.get_header("WARC-Record-ID")

    tampered = tmp_path / "tampered.warc"
    raw = gzip.decompress(warc.read_bytes()).replace(b"detained 41", b"detained 14", 1)
    tampered.write_bytes(raw)
    _, _, _, changed = records(tampered)[0]
    assert hashlib.sha256(changed).hexdigest() != sha

    listed = run_cli("--config", config, "hits", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    hit = json.loads(listed.stdout)[0]
    assert hit["story_id"] == story
    assert [(v["version"], v["sha256"]) for v in hit["versions"]] == [(1, sha)]

    as_json = run_cli("--config", config, "evidence", str(story), "--format", "json")
    assert json.loads(as_json.stdout)["versions"][0]["final_url"] == link


def test_a_story_without_evidence_exits_1(tmp_path):
    evidence_runtime(tmp_path, []).close()
    missing = run_cli("--config", str(tmp_path / "config.toml"), "evidence", "999")
    assert missing.returncode == 1 and "no evidence kept for story 999" in missing.stderr
