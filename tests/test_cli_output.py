"""What the printing commands show, and how they end when their reader goes away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, WATCHLISTS, run_cli
from tests.delivery_helpers import config, rss

STORIES = 1000  # ~200 KB of table or JSON: more than a pipe holds


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """A config whose SQLite database holds 1,000 hits and 1,000 pending digest deliveries."""
    from tests.servers import FeedServer

    tmp = tmp_path_factory.mktemp("filled")
    server = FeedServer().start()
    try:
        feed = server.add("/many.xml", rss(STORIES, "m"))
        cfg = config(tmp, [feed], [{"name": "desk", "notify": ["json://127.0.0.1:9/none"],
                                    "mode": "digest", "schedule": "0 8 * * 1"}],
                     f"sqlite:///{tmp / 'monitor.db'}")
        result = run_cli("poll-once", "--json", "--config", str(cfg))
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["hits"] == STORIES
    return cfg


def _read_one_line_then_close(args: list[str], stdin: Path | None = None):
    """Run the CLI into a real pipe whose reader closes after the first line."""
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
        proc = subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=ROOT,
                                stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return first, proc.wait(timeout=60), err


@pytest.mark.parametrize("args", [
    ["hits", "--limit", "1000"],
    ["hits", "--limit", "1000", "--format", "json"],
    ["deliveries", "--limit", "1000"],
])
def test_printing_commands_end_quietly_when_the_reader_goes_away(filled, args):
    first, code, err = _read_one_line_then_close([*args, "--config", str(filled)])
    assert first.strip()
    assert code == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


def test_match_ends_quietly_when_the_reader_goes_away(tmp_path):
    stories = tmp_path / "stories.jsonl"
    line = json.dumps({"id": 1, "title": "ICE agents detain workers"}) + "\n"
    stories.write_text(line * 20000)
    first, code, err = _read_one_line_then_close(
        ["match", "--watchlists", str(WATCHLISTS)], stdin=stories)
    assert json.loads(first)["id"] == 1
    assert code == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


def test_only_commands_that_send_warn_about_disabled_notify(tmp_path, storage_url):
    cfg = config(tmp_path, [], [{"name": "desk", "notify": ["json://${CLI_TEST_UNSET_HOOK}"]}],
                 storage_url)
    warning = "notify #1 is disabled: environment variable(s) CLI_TEST_UNSET_HOOK not set"
    for command in (["hits"], ["feeds"], ["deliveries"], ["hits", "--format", "json"]):
        result = run_cli(*command, "--config", str(cfg))
        assert result.returncode == 0, result.stderr
        assert "CLI_TEST_UNSET_HOOK" not in result.stderr, (command, result.stderr)
    for command in (["check"], ["poll-once"]):
        result = run_cli(*command, "--config", str(cfg))
        assert result.returncode == 0, result.stderr
        assert result.stderr.count(warning) == 1, (command, result.stderr)
