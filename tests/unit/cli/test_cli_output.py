"""What the printing commands show, and how they end when their reader goes away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.delivery_helpers import TOPICS, config, rss
from tests.support.helpers import ROOT, WATCHLISTS, run_cli

STORIES = 1000  # ~200 KB of table or JSON: more than a pipe holds


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """A config whose SQLite database holds 1,000 hits and 1,000 pending digest deliveries."""
    from tests.support.servers import FeedServer

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


SEARCH = "/rss/search?q={}&hl=en-US&gl=US&ceid=US:en&tbs=qdr:d&num=100"  # as Google News


def test_feeds_show_names_readable_times_telling_urls_and_moves(tmp_path, feed_server,
                                                                 storage_url):
    ice = feed_server.add(SEARCH.format("%22ICE%22+detention"), rss(2, "i", TOPICS[:1]))
    geo = feed_server.add(SEARCH.format("GEO+Group+contract"), rss(2, "g", TOPICS[2:3]))
    new_home = feed_server.add("/new/home.xml", rss(2, "n", TOPICS[3:]))
    old = feed_server.add("/old.xml", b"", status=301, headers={"Location": new_home})
    gone = feed_server.add("/gone.xml", b"", status=410)
    cfg = config(tmp_path, [ice, geo, old, gone], [], storage_url)
    cfg.write_text(cfg.read_text().replace(f'url = "{ice}"', f'url = "{ice}"\nname = "ICE news"'))
    assert run_cli("poll-once", "--config", str(cfg)).returncode == 0
    result = run_cli("feeds", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert len(rows) == 4 and "name" in header and "moved to" in header, result.stdout
    *rows, disabled = rows
    assert " disabled " in disabled and " never " in disabled, disabled
    by_url = dict(zip(("ice", "geo", "old"), rows, strict=True))
    assert by_url["ice"].startswith("ICE news ")
    assert 'q="ICE" detention' in by_url["ice"] and "q=GEO Group contract" in by_url["geo"]
    assert "127.0.0.1" in by_url["geo"] and "http://" not in result.stdout
    for row in rows:
        assert " in 1 h " in row, row  # next poll: the interval, 1 h, from now
        assert row.count(" s ago") + row.count(" min ago") == 2, row  # polled, new stories
    assert "/new/home.xml" in by_url["old"] and "/new/home.xml" not in by_url["ice"]
    listing = run_cli("feeds", "--format", "json", "--config", str(cfg))
    records = {r["url"]: r for r in json.loads(listing.stdout)}
    assert records[old]["fetch_url"] == new_home and records[ice]["fetch_url"] is None
    assert records[ice]["name"] == "ICE news" and records[ice]["next_poll_at"]


def _next_monday_8_utc(now: datetime) -> datetime:
    days = (7 - now.weekday()) % 7
    candidate = (now + timedelta(days=days)).replace(hour=8, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=7)


def test_digest_rows_show_when_they_will_be_sent(filled):
    result = run_cli("deliveries", "--limit", "3", "--format", "json", "--config", str(filled))
    rows = json.loads(result.stdout)
    expected = _next_monday_8_utc(datetime.now(UTC))
    assert len(rows) == 3 and {r["state"] for r in rows} == {"pending"}
    assert {datetime.fromisoformat(r["next_attempt_at"]) for r in rows} == {expected}
    table = run_cli("deliveries", "--limit", "3", "--config", str(filled)).stdout
    assert table.count(expected.strftime("%Y-%m-%d 08:00")) == 3, table
