"""The delivery commands through the real CLI: deliveries, retry, digest, notify-test, check."""

from __future__ import annotations

import json
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest

from tests.support.delivery_helpers import TOPICS, config, last_json, rss
from tests.support.helpers import WATCHLISTS, run_cli

SECRET = "hunter2-token"


def _poll(cfg) -> dict:
    result = run_cli("poll-once", "--json", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    return last_json(result.stdout)


def test_deliveries_show_the_ledger_without_secrets_and_retry(tmp_path, feed_server, webhook,
                                                              storage_url):
    feed = feed_server.add("/f.xml", rss(3, "l"))
    hook = webhook.url.replace("/hook", f"/hook?token={SECRET}")
    cfg = config(tmp_path, [feed], [{"name": "hooks", "notify": [hook]}], storage_url,
                 delivery={"max_attempts": 1})
    webhook.fail_status = 503
    assert _poll(cfg)["notifications_sent"] == 0
    out = run_cli("deliveries", "--state", "failed", "--format", "json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 3 and {r["state"] for r in rows} == {"failed"}
    assert rows[0]["subscriber"] == "hooks" and rows[0]["channel"].startswith("json://…#")
    assert "503" in rows[0]["last_error"]
    for fmt in ("table", "json", "csv"):
        listing = run_cli("deliveries", "--format", fmt, "--config", str(cfg))
        assert SECRET not in listing.stdout + listing.stderr
        assert "ICE agents detain" in listing.stdout
    assert run_cli("deliveries", "--state", "pending", "--format", "json",
                   "--config", str(cfg)).stdout.strip() == "[]"

    webhook.fail_status = None
    one = run_cli("deliveries", "retry", str(rows[0]["id"]), "--config", str(cfg))
    assert one.returncode == 0 and "re-queued 1 delivery" in one.stdout
    assert _poll(cfg)["notifications_sent"] == 1
    rest = run_cli("deliveries", "retry", "--failed", "--config", str(cfg))
    assert "re-queued 2 deliveries" in rest.stdout
    assert _poll(cfg)["notifications_sent"] == 2
    assert len(webhook.received) == 3
    sent = json.loads(run_cli("deliveries", "--state", "sent", "--format", "json",
                              "--config", str(cfg)).stdout)
    assert len(sent) == 3 and all(r["sent_at"] for r in sent)
    assert run_cli("deliveries", "retry", "--config", str(cfg)).returncode == 2


def test_digest_command_sends_pending_once(tmp_path, feed_server, smtp, storage_url):
    feed = feed_server.add("/d.xml", rss(8, "d", TOPICS))
    cfg = config(tmp_path, [feed], [{
        "name": "desk", "notify": [smtp.url()], "mode": "digest", "schedule": "0 8 * * 1-5",
        "timezone": "Europe/London"}], storage_url)
    summary = _poll(cfg)
    assert summary["deliveries_queued"] == 8 and summary["notifications_sent"] == 0
    assert smtp.messages == []
    out = run_cli("digest", "--subscriber", "desk", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert last_json(out.stdout) == {"subscriber": "desk", "messages": 1, "stories_sent": 8,
                                     "retrying": 0, "failed": 0}
    assert len(smtp.messages) == 1
    again = run_cli("digest", "--subscriber", "desk", "--config", str(cfg))
    assert again.returncode == 0 and "nothing pending for desk: nothing sent" in again.stdout
    assert len(smtp.messages) == 1
    unknown = run_cli("digest", "--subscriber", "nobody", "--config", str(cfg))
    assert unknown.returncode == 2 and "unknown subscriber 'nobody'" in unknown.stderr


def test_notify_test_over_webhook_and_mqtt(tmp_path, webhook, storage_url):
    topic = f"monitor-test/{uuid.uuid4().hex}"
    got: list[bytes] = []
    subscribed, arrived = threading.Event(), threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, msg: (got.append(msg.payload), arrived.set())
    try:
        client.connect("127.0.0.1", 1883)
    except OSError:
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    client.loop_start()
    try:
        assert subscribed.wait(10)
        cfg = config(tmp_path, [], [{"name": "ops", "notify": [
            webhook.url, f"mqtt://127.0.0.1:1883/{topic}"]}], storage_url)
        out = run_cli("notify-test", "--subscriber", "ops", "--config", str(cfg))
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.count(": ok") == 2
        assert arrived.wait(10)
    finally:
        client.loop_stop()
        client.disconnect()
    assert b"[TEST] ICE agents detain" in got[0]
    assert webhook.received[0]["title"].startswith("[ICE] [TEST]")
    webhook.fail_status = 500
    failed = run_cli("notify-test", "--subscriber", "ops", "--config", str(cfg))
    assert failed.returncode == 1 and "FAILED" in failed.stdout


@pytest.mark.parametrize(("body", "line", "fragment"), [
    ('mode = "weekly"\n', 6, "mode must be"),
    ('mode = "digest"\n', 6, "no schedule"),
    ('mode = "digest"\nschedule = "0 25 * * *"\n', 7, "not a valid cron line"),
    ('mode = "digest"\nschedule = "0 8 * * mon-fr"\n', 7, "not a valid cron line"),
    ('mode = "digest"\nschedule = "0 8 * * 1-5"\ntimezone = "Mars/Olympus"\n', 8,
     "not an IANA time zone"),
    ('schedule = "0 8 * * *"\n', 6, "only used with mode"),
    ('quiet_hours = "22-7"\n', 6, "quiet_hours"),
    ('max_per_hour = 0\n', 6, "positive integer"),
    ('min_score = 2\n', 6, "min_score must be"),
    ('entities = ["Amazn"]\n', 6, "unknown entity 'Amazn'"),
    ('colour = "red"\n', 6, "unknown key 'colour'"),
])
def test_check_reports_subscriber_keys_with_line(tmp_path, body, line, fragment):
    path = tmp_path / "config.toml"
    path.write_text(f'[watchlists]\ndir = "{WATCHLISTS}"\n[[subscribers]]\nname = "x"\n'
                    f"notify = []\n{body}", encoding="utf-8")
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2, result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), first
    assert fragment in first


def test_check_reports_delivery_keys(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'[watchlists]\ndir = "{WATCHLISTS}"\n[delivery]\nlease = "never"\n'
                    'templates_dir = "no-such-dir"\n', encoding="utf-8")
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert f"{path}:4: lease:" in result.stderr
    assert f"{path}:5: templates_dir is not a directory" in result.stderr
