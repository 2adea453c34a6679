"""``monitor run`` as operators run it: a real subprocess, real HTTP, real signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
import uuid

import feedparser
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tests.support.daemon import DaemonProcess, daemon_config, rss, wait_for
from tests.support.helpers import WATCHLISTS, run_cli
from tests.support.servers import free_port

PG_URL = os.environ.get("MONITOR_TEST_DATABASE_URL")

ITEMS = [
    ("raid", "ICE agents detain dozens in dawn raid", 0),
    ("court", "Judge halts ICE detention transfers", 1),
    ("aws", "Amazon Web Services renews ICE contract", 3),
    ("geo", "GEO Group reports quarterly earnings", 0),
    ("storm", "Ice storm closes schools", 0),
]


@pytest.fixture
def daemons():
    started: list[DaemonProcess] = []

    def make(*args, **kw) -> DaemonProcess:
        d = DaemonProcess(*args, **kw)
        started.append(d)
        return d

    yield make
    for d in started:
        d.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request, tmp_path):
    """SQLite in the test folder, or a throw-away schema in the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    if not PG_URL:
        pytest.skip("MONITOR_TEST_DATABASE_URL not set (PostgreSQL tests)")
    schema = f"t_daemon_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    with engine.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    yield PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    with engine.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def metric_values(body: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from Prometheus text."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def test_http_endpoints_of_a_running_daemon(tmp_path, feed_server, webhook, daemons,
                                            storage_url):
    feed = feed_server.add("/news.xml", rss(ITEMS))
    port = free_port()
    config = daemon_config(tmp_path, [(feed, "1h")], port, storage_url, WATCHLISTS,
                           [{"name": "desk", "notify": [webhook.url], "watchlists": ["ICE"]}])
    d = daemons(config, port).start()

    wait_for(lambda: len(webhook.received) == 3, what="three ICE alerts")
    health = d.get("/healthz")
    assert health.status_code == 200
    info = health.json()
    assert info["status"] == "ok" and info["scheduler"] is True
    assert "ICE" in info["watchlists"] and info["last_cycle_at"]

    assert run_cli("health", "--config", str(config)).returncode == 0

    body = d.get("/metrics").text
    names = {f.name for f in text_string_to_metric_families(body)}
    assert names and all(n.startswith("monitor_") for n in names), names
    m = metric_values(body)
    assert m[("monitor_polls_total", ())] == 1
    assert m[("monitor_poll_failures_total", ())] == 0
    assert m[("monitor_new_stories_total", ())] == 5
    assert m[("monitor_hits_total", (("watchlist", "ICE"),))] == 3
    assert m[("monitor_hits_total", (("watchlist", "GEO Group"),))] == 1
    assert m[("monitor_fetch_duration_seconds_count", ())] == 1
    assert m[("monitor_deliveries", (("state", "sent"),))] == 3
    assert m[("monitor_delivery_queue_depth", ())] == 0
    assert m[("monitor_delivery_attempts_total", (("outcome", "sent"),))] == 3
    assert m[("monitor_storage_up", ())] == 1
    assert m[("monitor_feeds", (("state", "ok"),))] == 1
    assert abs(m[("monitor_last_cycle_timestamp_seconds", ())] - time.time()) < 60

    hits = d.get("/api/hits").json()
    assert hits["count"] == 5
    ice = d.get("/api/hits", params={"watchlist": "ICE"}).json()["hits"]
    assert {h["link"] for h in ice} == {f"https://news.example/{g}"
                                        for g in ("raid", "court", "aws")}
    amazon = d.get("/api/hits", params={"entity": "Amazon"}).json()["hits"]
    assert [h["title"] for h in amazon] == ["Amazon Web Services renews ICE contract"]
    assert d.get("/api/hits", params={"limit": "2"}).json()["count"] == 2
    assert d.get("/api/hits", params={"since": "2999-01-01"}).json()["count"] == 0
    assert d.get("/api/hits", params={"since": "2000-01-01"}).json()["count"] == 5
    bad = d.get("/api/hits", params={"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["error"]
    assert d.get("/api/hits", params={"limit": "0"}).status_code == 400

    atom = d.get("/watchlists/ICE/hits.atom")
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("ICE")
    assert {e.link for e in parsed.entries} == {h["link"] for h in ice}
    assert len({e.id for e in parsed.entries}) == 3
    assert all(e.updated_parsed and e.summary for e in parsed.entries)
    geo = feedparser.parse(d.get("/watchlists/GEO%20Group/hits.atom").content)
    assert geo.bozo == 0 and [e.title for e in geo.entries] == [
        "GEO Group reports quarterly earnings"]
    assert d.get("/watchlists/Nobody/hits.atom").status_code == 404

    page = d.get("/")
    assert page.status_code == 200 and "Judge halts ICE detention transfers" in page.text
    assert 'type="application/atom+xml"' in page.text
    assert d.post("/api/reload").status_code == 403

    code, took = d.stop()
    assert code == 0 and took < 10
    assert run_cli("health", "--config", str(config)).returncode == 1


def test_new_story_is_alerted_within_its_interval(tmp_path, feed_server, webhook, daemons):
    feed = feed_server.add("/live.xml", rss([("old", "Weather: sunny all week", 0)]))
    port = free_port()
    config = daemon_config(tmp_path, [(feed, "2s")], port, f"sqlite:///{tmp_path / 'm.db'}",
                           WATCHLISTS, [{"name": "desk", "notify": [webhook.url]}])
    d = daemons(config, port).start()
    wait_for(lambda: feed_server.hits("/live.xml") >= 1, what="the first poll")
    feed_server.add("/live.xml", rss([("old", "Weather: sunny all week", 0),
                                      ("new", "ICE agents raid a farm in Iowa", 0)]))
    changed = time.monotonic()
    wait_for(lambda: webhook.received, timeout=15, what="the alert")
    took = time.monotonic() - changed
    assert took < 2 + 3, f"alerted {took:.1f}s after the feed changed (interval 2s)"
    assert "ICE agents raid a farm" in webhook.received[0]["title"]
    assert d.stop()[0] == 0


ACME = """name = "Acme"
description = "Acme Detention Services"

[[entities]]
name = "Acme Detention Services"
aliases = ["Acme Detention"]
"""


def test_live_reload_by_signal_file_change_and_http(tmp_path, feed_server, daemons):
    watchlists = tmp_path / "watchlists"
    shutil.copytree(WATCHLISTS, watchlists)
    feed = feed_server.add("/r.xml", rss([("a", "Weather: sunny all week", 0)]))
    port = free_port()
    token = "reload-token-0123456789"
    config = daemon_config(tmp_path, [(feed, "2s")], port, f"sqlite:///{tmp_path / 'm.db'}",
                           watchlists, http_extra='token = "${MONITOR_HTTP_TOKEN}"')
    d = daemons(config, port, env={"MONITOR_HTTP_TOKEN": token}).start()

    def reloads(result: str) -> float:
        return metric_values(d.get("/metrics").text)[
            ("monitor_config_reloads_total", (("result", result),))]

    d.send(signal.SIGHUP)
    d.wait_for_log("reloaded (SIGHUP)")
    assert reloads("ok") == 1

    (watchlists / "acme.toml").write_text(ACME, encoding="utf-8")
    wait_for(lambda: "Acme" in d.get("/healthz").json()["watchlists"], what="the new watchlist")
    assert "reloaded (file change)" in d.log()
    feed_server.add("/r.xml", rss([("a", "Weather: sunny all week", 0),
                                   ("b", "Acme Detention wins a new contract", 0)]))
    wait_for(lambda: d.get("/api/hits", params={"watchlist": "Acme"}).json()["count"] == 1,
             what="a hit for the reloaded watchlist")

    (watchlists / "acme.toml").write_text(ACME.replace("aliases", "aliasez"),
                                          encoding="utf-8")
    log = d.wait_for_log("reload refused")
    assert f"{watchlists / 'acme.toml'}:6:" in log
    health = d.get("/healthz").json()
    assert health["status"] == "ok" and "Acme" in health["watchlists"]
    assert health["last_reload_refused"][0].startswith(str(watchlists / "acme.toml") + ":6:")
    assert reloads("refused") == 1

    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("[polling]", "[polling]\nintervall = 3"),
                      encoding="utf-8")
    wait_for(lambda: reloads("refused") == 2, what="the broken config to be refused")
    assert f"{config}:6: unknown key 'intervall' in [polling]" in d.log()
    # The last good version is still in force: it keeps matching with the Acme watchlist.
    feed_server.add("/r.xml", rss([("a", "Weather: sunny all week", 0),
                                   ("b", "Acme Detention wins a new contract", 0),
                                   ("c", "Acme Detention expands in Texas", 0)]))
    wait_for(lambda: d.get("/api/hits", params={"watchlist": "Acme"}).json()["count"] == 2,
             what="the last good watchlist to keep matching")

    config.write_text(original, encoding="utf-8")
    (watchlists / "acme.toml").unlink()
    wait_for(lambda: "Acme" not in d.get("/healthz").json()["watchlists"], what="fixed reload")
    assert d.get("/healthz").json()["last_reload_refused"] == []

    assert d.post("/api/reload").status_code == 401
    assert d.post("/api/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = d.post("/api/reload", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json() == {"reloaded": True, "problems": []}
    assert token not in d.log()
    assert d.stop()[0] == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_during_a_slow_fetch_exits_0_quickly_and_loses_nothing(tmp_path, feed_server,
                                                                    daemons, sig):
    slow = feed_server.add("/slow.xml", rss([("s", "ICE agents detain dozens", 0)]), delay=30)
    db = tmp_path / "m.db"
    port = free_port()
    config = daemon_config(tmp_path, [(slow, "1h")], port, f"sqlite:///{db}", WATCHLISTS)
    config.write_text(config.read_text().replace('timeout = "10s"', 'timeout = "60s"'))
    d = daemons(config, port).start()
    wait_for(lambda: feed_server.hits("/slow.xml") >= 1, what="the fetch to be in flight")
    code, took = d.stop(sig)
    assert code == 0
    assert took < 10, f"took {took:.1f}s to stop"
    log = d.log()
    assert "shutting down" in log and "stopped" in log
    with sqlite3.connect(db) as conn:
        polled = conn.execute("SELECT last_polled_at FROM feeds").fetchall()
    assert polled == [(None,)], "an interrupted fetch must not be recorded: the feed stays due"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_never_reach_the_log_even_when_delivery_fails(tmp_path, feed_server, webhook,
                                                              daemons, log_format):
    webhook.fail_status = 500
    secret = "s3cretHookToken42"
    port_ = webhook.url.rsplit(":", 1)[1].split("/")[0]
    notify = f"json://alerts:{secret}@127.0.0.1:{port_}/hook?token={secret}"
    feed = feed_server.add("/n.xml", rss([("x", "ICE agents detain dozens", 0)]))
    config = daemon_config(tmp_path, [(feed, "1h")], None, f"sqlite:///{tmp_path / 'm.db'}",
                           WATCHLISTS, [{"name": "desk", "notify": [notify]}])
    d = daemons(config, None, log_format=log_format).start(wait_healthy=False)
    d.wait_for_log("failed for good", timeout=30)
    assert webhook.attempts == 2
    code, _ = d.stop()
    assert code == 0
    log = d.log()
    assert secret not in log
    assert "failed for good" in log
    if log_format == "json":
        records = [json.loads(line) for line in log.splitlines() if line.strip()]
        assert {"time", "level", "logger", "message"} <= set(records[0])
        assert any(r["level"] == "error" and "failed for good" in r["message"] for r in records)


def test_busy_port_is_a_clear_start_up_error(tmp_path, daemons):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = daemon_config(tmp_path, [], port, f"sqlite:///{tmp_path / 'm.db'}", WATCHLISTS)
        d = daemons(config, port).start(wait_healthy=False)
        assert d.proc.wait(20) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in d.log()
