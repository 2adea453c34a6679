"""Parsed feeds are stored several to a transaction; one feed that cannot be stored fails
alone, and its story is stored on a later poll once the fault is gone."""

from __future__ import annotations

import json
import re
import sqlite3

from tests.support.helpers import run_cli, write_config

FEEDS = 20
POISONED = 7


def _rss(n: int) -> bytes:
    title = "poison pill story" if n == POISONED else f"Council votes on budget {n}"
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {n}</title>'
            f"<item><title>{title}</title><link>https://outlet{n}.example/story</link>"
            f"<description>Story {n} of the day.</description></item></channel></rss>").encode()


def _poll(config) -> tuple[dict, str]:
    result = run_cli("poll-once", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_a_feed_that_cannot_be_stored_fails_alone(tmp_path, feed_server):
    urls = [feed_server.add(f"/feed{n}.xml", _rss(n)) for n in range(FEEDS)]
    config = write_config(tmp_path, urls)
    assert run_cli("db", "upgrade", "--config", str(config)).returncode == 0
    db = tmp_path / "monitor.db"
    with sqlite3.connect(db) as conn:  # a real fault inside SQLite: a runtime SQL error
        conn.execute("CREATE TRIGGER poison BEFORE INSERT ON stories "
                     "WHEN NEW.title LIKE '%poison%' BEGIN SELECT json('{poison'); END")
    summary, stderr = _poll(config)
    together = re.findall(r"storing (\d+) feeds together failed \(OperationalError: "
                          r"\(sqlite3.OperationalError\) malformed JSON\)", stderr)
    assert together and int(together[0]) > 1, stderr  # the others were in its transaction
    assert (summary["feeds_polled"], summary["feeds_failed"]) == (FEEDS, 1)
    assert summary["new_stories"] == FEEDS - 1
    feeds = json.loads(run_cli("feeds", "--format", "json", "--config", str(config)).stdout)
    failing = [f for f in feeds if f["state"] != "ok"]
    assert [f["url"] for f in failing] == [urls[POISONED]]
    assert "storage error" in failing[0]["last_error"]

    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER poison")
    summary, _ = _poll(config)
    assert (summary["feeds_failed"], summary["new_stories"]) == (0, 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM stories").fetchone()[0] == FEEDS
