"""poll → match → store → alert, through the real CLI, real HTTP, real SMTP."""

from __future__ import annotations

import email
import json
import time
from email import policy

from tests.support.helpers import DATA, run_cli, write_config


def _poll(config) -> dict:
    result = run_cli("poll-once", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_feeds_alert_webhook_and_email_once(tmp_path, feed_server, webhook, smtp):
    rss = feed_server.add("/rss.xml", (DATA / "feeds" / "rss2.xml").read_bytes())
    # Feeds are stored as they arrive and the first copy of a story wins: the Atom feed's
    # copy of the raid story must arrive second.
    atom = feed_server.add("/atom.xml", (DATA / "feeds" / "atom.xml").read_bytes(),
                           content_type="application/atom+xml", delay=0.5)
    config = write_config(tmp_path, [rss, atom], [
        {"name": "hooks", "notify": [webhook.url], "watchlists": ["ICE", "Amazon"]},
        {"name": "desk", "notify": [smtp.url()]},
    ])

    first = _poll(config)
    assert first["feeds_polled"] == 2 and first["feeds_failed"] == 0
    assert first["feeds_fast_parsed"] == 2  # plain RSS 2.0 and Atom 1.0 skip feedparser
    # 8 entries; the Atom copy of the raid story shares its canonical link: 7 stories.
    assert first["new_stories"] == 7
    # ICE raid, AWS (Amazon + ICE), GEO Group: three stories with hits, four hits.
    assert first["hits"] == 4
    # hooks follows ICE+Amazon: 2 stories; desk follows everything: 3 stories.
    assert first["notifications_sent"] == 5
    assert len(webhook.received) == 2
    assert len(smtp.messages) == 3

    titles = sorted(m["title"] for m in webhook.received)
    assert titles[0].startswith("[Amazon, ICE] Amazon Web Services")
    assert titles[1].startswith("[ICE] ICE agents detain")
    raid = next(m for m in webhook.received if "raids" in m["title"])
    # link (tracking parameters kept as published), source feed, matched text in context
    assert "https://gazette.example/2026/11/ice-raids?utm_source=rss" in raid["message"]
    assert "Source: Loopback Gazette" in raid["message"]
    assert "«ICE agents» detain dozens in early-morning raids" in raid["message"]

    subjects = []
    for _from, rcpts, raw in smtp.messages:
        assert rcpts == ["desk@example.org"]
        msg = email.message_from_bytes(raw, policy=policy.default)
        subjects.append(str(msg["Subject"]))
        html = msg.get_body(preferencelist=("html",))
        assert html is not None and "<mark>" in html.get_content()
    assert any(s.startswith("[GEO Group] GEO Group reports") for s in subjects)

    second = _poll(config)
    assert second["new_stories"] == 0 and second["hits"] == 0
    assert second["notifications_sent"] == 0
    assert len(webhook.received) == 2 and len(smtp.messages) == 3


def test_broken_feed_does_not_stop_the_cycle(tmp_path, feed_server, webhook):
    good = feed_server.add("/rss.xml", (DATA / "feeds" / "rss2.xml").read_bytes())
    html = feed_server.add("/page.html", b"<html><body>not a feed</body></html>",
                           content_type="text/html")
    missing = feed_server.url("/gone.xml")
    config = write_config(tmp_path, [html, missing, good],
                          [{"name": "hooks", "notify": [webhook.url]}])
    summary = _poll(config)
    assert summary["feeds_polled"] == 3
    assert summary["feeds_failed"] == 2
    assert summary["new_stories"] == 4
    assert len(webhook.received) == 1

    feeds = run_cli("feeds", "--format", "json", "--config", str(config))
    assert feeds.returncode == 0, feeds.stderr
    states = {f["url"]: (f["state"], f["last_error"]) for f in json.loads(feeds.stdout)}
    assert states[good][0] == "ok"
    assert states[missing] == ("failing", "HTTP 404")
    assert states[html][0] == "failing" and "not a feed" in states[html][1]


def test_failed_webhook_is_retried_not_dropped(tmp_path, feed_server, webhook):
    rss = feed_server.add("/rss.xml", (DATA / "feeds" / "rss2.xml").read_bytes())
    config = write_config(tmp_path, [rss], [{"name": "hooks", "notify": [webhook.url]}],
                          extra='[delivery]\nretry_initial = "1s"')
    webhook.fail_status = 404
    first = _poll(config)
    assert first["hits"] == 1 and first["notifications_sent"] == 0
    assert webhook.attempts == 1 and webhook.received == []

    webhook.fail_status = None
    time.sleep(1.5)
    second = _poll(config)
    assert second["notifications_sent"] == 1
    assert len(webhook.received) == 1


def test_hits_command_lists_stored_hits(tmp_path, feed_server):
    rss = feed_server.add("/rss.xml", (DATA / "feeds" / "rss2.xml").read_bytes())
    atom = feed_server.add("/atom.xml", (DATA / "feeds" / "atom.xml").read_bytes(), delay=0.5)
    config = write_config(tmp_path, [rss, atom])
    _poll(config)
    out = run_cli("hits", "--format", "json", "--watchlist", "ICE", "--config", str(config))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["entity"] for r in rows} == {"ICE"}
    assert len(rows) == 2
    csv_out = run_cli("hits", "--format", "csv", "--config", str(config))
    assert csv_out.stdout.splitlines()[0].startswith("created_at,watchlist,entity")
    assert len(csv_out.stdout.strip().splitlines()) == 1 + 4
    table = run_cli("hits", "--since", "2000-01-01", "--config", str(config))
    assert "GEO Group" in table.stdout
    future = run_cli("hits", "--since", "2999-01-01", "--format", "json", "--config", str(config))
    assert json.loads(future.stdout) == []


def test_tokens_never_reach_the_logs(tmp_path, feed_server):
    rss = feed_server.add("/rss.xml", (DATA / "feeds" / "rss2.xml").read_bytes())
    token = "xoxbSECRETtoken12345"
    config = write_config(tmp_path, [rss], [
        {"name": "slack", "notify": ["slack://T0SECRETAA/B0SECRETBB/" + token + "/#alerts"]},
        {"name": "mail", "notify": ["mailto://bob:pw-S3CRET-99@127.0.0.1:1?from=m@example.org&to=a@example.org"]},
    ])
    result = run_cli("poll-once", "--log-level", "DEBUG", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "next attempt at" in result.stderr
    for secret in (token, "T0SECRETAA", "B0SECRETBB", "pw-S3CRET-99"):
        assert secret not in result.stderr + result.stdout


def test_health_reports_polling_state(tmp_path, feed_server):
    rss = feed_server.add("/rss.xml", (DATA / "feeds" / "rss2.xml").read_bytes())
    config = write_config(tmp_path, [rss])
    no_db = run_cli("health", "--config", str(config))
    assert no_db.returncode == 1 and "storage does not answer" in no_db.stderr
    assert run_cli("feeds", "--config", str(config)).returncode == 0
    before = run_cli("health", "--config", str(config))
    assert before.returncode == 1 and "no source has been polled" in before.stderr
    _poll(config)
    after = run_cli("health", "--config", str(config))
    assert after.returncode == 0 and after.stdout.startswith("ok: last poll")
