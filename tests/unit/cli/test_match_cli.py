"""`monitor match`: one JSON line out per line in, in order, never crashing on bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.cli.match import match_stream
from tests.support.helpers import run_cli

ROOT = Path(__file__).resolve().parents[3]
WATCHLISTS = ROOT / "watchlists"
DEV = ROOT.parent / "shared" / "match-dev.jsonl"

LINES = [
    json.dumps({"id": "a", "title": "ICE agents arrest workers", "summary": "At a car wash."}),
    "this is not json",
    json.dumps(["not", "an", "object"]),
    json.dumps({"id": 4, "title": 7}),
    "",
    json.dumps({"id": "f", "title": "Ice storm",
                "content": "<p>Shares of <b>Wayfair</b> fell</p>"}),
    json.dumps({"id": "g", "title": "Amazon rainforest burns"}),
]


def run_stream(lines: list[str], explain: bool = False) -> list[dict]:
    out = io.StringIO()
    code = match_stream(WATCHLISTS, io.StringIO("\n".join(lines) + "\n"), out, explain=explain)
    assert code == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_line_per_input_in_order() -> None:
    rows = run_stream(LINES)
    assert len(rows) == len(LINES)
    assert rows[0]["id"] == "a"
    assert [(h["watchlist"], h["entity"], h["field"]) for h in rows[0]["hits"]] == [
        ("ICE", "ICE", "title")]
    hit = rows[0]["hits"][0]
    assert {"matched", "score", "alias", "start", "end", "rule", "context"} <= set(hit)
    for bad in rows[1:5]:
        assert bad["hits"] == [] and bad["error"]
    assert rows[3]["id"] == 4
    assert rows[5] == {"id": "f", "hits": rows[5]["hits"]}
    assert [(h["entity"], h["field"], h["matched"]) for h in rows[5]["hits"]] == [
        ("Wayfair", "content", "Wayfair")]
    assert rows[6]["hits"] == []


def test_explain_adds_near_misses() -> None:
    rows = run_stream(LINES, explain=True)
    assert all("near_misses" in row for row in rows if "error" not in row)
    misses = rows[6]["near_misses"]
    assert [(m["entity"], m["rule"]) for m in misses] == [("Amazon", "exclude_phrases")]
    assert any(m["rule"] == "case_sensitive" for m in rows[5]["near_misses"])


def test_invalid_watchlists_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    bad = ROOT / "tests" / "data" / "watchlists_bad"
    code = match_stream(bad, io.StringIO(""), io.StringIO())
    assert code == 2
    assert "rules.toml:2: unknown key 'colour'" in capsys.readouterr().err


def _spawn(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "match", "--watchlists", str(WATCHLISTS), *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )


def test_cli_streams_and_flushes_per_line() -> None:
    proc = _spawn()
    assert proc.stdin is not None and proc.stdout is not None
    started = time.monotonic()
    try:
        proc.stdin.write(json.dumps({"id": 1, "title": "GEO Group's deal"}) + "\n")
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())
        elapsed = time.monotonic() - started
        proc.stdin.write("garbage\n")
        proc.stdin.close()
        rest = proc.stdout.read().splitlines()
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert first["id"] == 1 and first["hits"][0]["entity"] == "GEO Group"
    assert len(rest) == 1 and "error" in json.loads(rest[0])
    assert elapsed < 3.0, f"first answer took {elapsed:.2f}s"


def test_cli_on_dev_set_meets_quality_targets() -> None:
    if not DEV.is_file():
        pytest.skip(f"dev set {DEV} is absent")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import match_score
    finally:
        sys.path.remove(str(ROOT / "bench"))
    items = match_score.read_items(DEV)
    figures = match_score.score(items, match_score.monitor_match(items, WATCHLISTS, False))
    assert figures["micro"][2] >= 0.95
    for entity in match_score.ENTITIES:
        assert figures[entity][2] >= 0.90, entity


@pytest.mark.parametrize("item", [{"id": "x"}, {"id": "x", "title": None},
                                  {"id": "x", "title": None, "summary": "ICE raids"}])
def test_missing_or_null_field_is_empty_text(item: dict) -> None:
    result = run_cli("match", "--watchlists", str(WATCHLISTS), stdin=json.dumps(item) + "\n")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["id"] == "x" and "error" not in row, row
    assert [h["field"] for h in row["hits"]] == (["summary"] if item.get("summary") else [])


def test_id_is_echoed_even_when_a_story_fails() -> None:
    rows = run_stream([json.dumps({"id": "y", "title": ["not", "text"]}),
                       json.dumps({"id": "z", "title": "x" * 10, "summary": 5})])
    assert [r["id"] for r in rows] == ["y", "z"] and all(r["error"] for r in rows)


def test_watchlists_come_from_the_config_without_the_flag(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "geo.toml").write_text((WATCHLISTS / "geo-group.toml").read_text())
    cfg = tmp_path / "config.toml"
    cfg.write_text('[watchlists]\ndir = "lists"\n')
    story = json.dumps({"id": 1, "title": "GEO Group and ICE sign a deal"}) + "\n"
    for args, env in ((("--config", str(cfg)), {}), ((), {"MONITOR_CONFIG": str(cfg)})):
        result = run_cli("match", *args, stdin=story, env=env)
        assert result.returncode == 0, result.stderr
        assert [h["watchlist"] for h in json.loads(result.stdout)["hits"]] == ["GEO Group"]


def test_without_watchlists_or_config_says_what_to_pass(tmp_path: Path) -> None:
    result = run_cli("match", "--config", str(tmp_path / "none.toml"), stdin="")
    assert result.returncode == 2
    assert "--watchlists DIR" in result.stderr and "MONITOR_CONFIG" in result.stderr


def test_explain_shows_the_sense_evidence_through_the_cli() -> None:
    line = json.dumps({"id": "r", "title": "Low water on the Amazon strands ferries",
                       "summary": "The river is at a record low after months of drought."})
    proc = subprocess.run([sys.executable, "-m", "monitor", "match", "--watchlists",
                           str(WATCHLISTS), "--explain"], input=line + "\n", capture_output=True,
                          text=True, cwd=ROOT, check=True)
    [out] = [json.loads(x) for x in proc.stdout.splitlines()]
    assert out["hits"] == []
    [miss] = out["near_misses"]
    assert (miss["entity"], miss["rule"]) == ("Amazon", "namesake_context")
    assert miss["reason"] == "entity 0 [] vs namesake 2 [river*, drought*]"
