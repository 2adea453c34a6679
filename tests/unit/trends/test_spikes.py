"""Spikes on backdated history, end to end: real feeds polled by ``monitor poll-once``, spike
alerts to a real webhook receiver through apprise ``json://``, ``monitor trends`` as JSON."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from tests.support.delivery_helpers import config
from tests.support.helpers import run_cli
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.servers import WebhookReceiver
from tests.support.trends_history import BURST, feed, history

NOW = datetime.now(UTC)
QUIET = f"{NOW - timedelta(hours=2):%H:%M}-{NOW + timedelta(hours=2):%H:%M}"


@pytest.fixture
def desk():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def _setup(tmp_path, feed_server, webhook, desk, url=None):
    items = history()
    main = feed_server.add("/news.xml", feed(items))
    # a second outlet carries the burst too: each story still counts once
    second = feed_server.add("/wire.xml", feed([i for i in items if i[0].startswith("burst-")],
                                               "Second Wire"))
    url = url or f"sqlite:///{tmp_path / 'monitor.db'}"
    path = config(tmp_path, [main, second], [
        {"name": "campaign", "notify": [webhook.url], "spikes": True,
         "watchlists": ["GEO Group", "CoreCivic", "Wayfair"]},
        {"name": "desk", "notify": [desk.url]},                       # no spikes: stories only
        {"name": "ice-desk", "notify": [desk.url], "spikes": True, "watchlists": ["ICE"]},
        {"name": "night-desk", "notify": [desk.url], "spikes": True, "entities": ["GEO Group"],
         "quiet_hours": QUIET},                               # held until its quiet hours end
    ], url)
    upgraded = run_cli("db", "upgrade", "--config", str(path))
    assert upgraded.returncode == 0, upgraded.stderr
    return path, url


def _poll(path) -> dict:
    done = run_cli("poll-once", "--json", "--config", str(path), timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _spikes(receiver: WebhookReceiver) -> list[dict]:
    return [m for m in receiver.received if m["title"].startswith("Spike:")]


def test_a_burst_alerts_once_and_steady_or_tiny_entities_do_not(tmp_path, feed_server,
                                                                  webhook, desk,
                                                                  any_url):  # noqa: F811
    path, _ = _setup(tmp_path, feed_server, webhook, desk, any_url)
    first = _poll(path)
    assert first["spikes"] == 1
    alerts = _spikes(webhook)
    assert len(alerts) == 1, [a["title"] for a in alerts]
    alert = alerts[0]
    assert alert["title"].startswith(f"Spike: GEO Group, {BURST} stories against ")
    assert "detention center contract scandal" in alert["message"]
    assert "Loopback News" in alert["message"] and "Second Wire" in alert["message"]
    assert _spikes(desk) == []                 # not following spikes, or not this entity, or quiet
    if any_url.startswith("sqlite"):
        db = sqlite3.connect(any_url.removeprefix("sqlite:///"))
        held = db.execute("SELECT subscriber, state, attempts, next_attempt_at FROM spike_alerts "
                          "ORDER BY subscriber").fetchall()
        db.close()
        assert [h[:3] for h in held] == [("campaign", "sent", 1), ("night-desk", "pending", 0)]
        assert held[1][3][11:16] == QUIET[-5:]      # sent when the quiet hours end
    assert any(not m["title"].startswith("Spike:") for m in desk.received)  # stories still go
    assert any(not m["title"].startswith("Spike:") for m in webhook.received)

    second = _poll(path)                       # a new process: the burst is stored, not re-sent
    assert second["spikes"] == 0
    assert len(_spikes(webhook)) == 1

    shown = run_cli("trends", "--format", "json", "--config", str(path))
    assert shown.returncode == 0, shown.stderr
    records = {r["entity"]: r for r in map(json.loads, shown.stdout.splitlines())}
    geo = records["GEO Group"]
    assert set(geo) == {"entity", "watchlist", "series", "spikes"}
    assert len(geo["series"]) == 31            # 30 days back and today, UTC days
    assert set(geo["series"][0]) == {"bucket", "count", "share", "baseline", "spike"}
    assert all(p["bucket"].endswith("T00:00:00+00:00") for p in geo["series"])
    assert [s["count"] for s in geo["spikes"]] == [BURST]
    spike = geo["spikes"][0]
    assert {"start", "count", "usual", "stories", "outlets"} <= set(spike)
    assert spike["usual"] < 2
    assert {o["name"]: o["stories"] for o in spike["outlets"]} == {
        "Loopback News": BURST, "Second Wire": BURST}
    assert any(p["spike"] for p in geo["series"][-2:])
    assert sum(p["count"] for p in geo["series"][:-2]) >= 25   # the backdated quiet days
    for steady_or_tiny in ("CoreCivic", "Wayfair"):
        record = records[steady_or_tiny]
        assert record["spikes"] == [] and not any(p["spike"] for p in record["series"])
    assert sum(p["count"] for p in records["CoreCivic"]["series"]) == 28 * 6 - 1
    assert sum(p["count"] for p in records["Wayfair"]["series"]) == 2

    table = run_cli("trends", "--config", str(path)).stdout.splitlines()
    assert table[0].split() == ["entity", "watchlist", "stories", "days", "spikes"]
    geo_row = next(line for line in table if line.startswith("GEO Group"))
    assert f"({BURST} vs " in geo_row
    one = run_cli("trends", "--entity", "GEO Group", "--config", str(path))
    assert one.returncode == 0 and "spike from" in one.stdout
    unknown = run_cli("trends", "--entity", "Nobody", "--config", str(path))
    assert unknown.returncode == 2 and "Nobody" in unknown.stderr


def test_spike_detection_that_fails_costs_the_cycle_nothing(tmp_path, feed_server, webhook,
                                                           desk):
    path, url = _setup(tmp_path, feed_server, webhook, desk)
    assert _poll(path)["spikes"] == 1
    engine = create_engine(url)
    with engine.begin() as conn:            # a stored date nothing can read
        conn.execute(text("UPDATE stories SET published_at = 'not a date' "
                          "WHERE id = (SELECT min(id) FROM stories)"))
    engine.dispose()
    done = run_cli("poll-once", "--json", "--config", str(path), timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["spikes"] == 0 and stats["feeds_polled"] == 2
    assert "spike detection failed" in done.stderr
