"""What the log says about deliveries: who got what, once, with only the secrets redacted."""

from __future__ import annotations

import json

import pytest

from monitor.config import check_config
from notifiers.sender import redact, secret_parts
from tests.support.daemon import DaemonProcess, daemon_config, wait_for
from tests.support.daemon import rss as dated_rss
from tests.support.delivery_helpers import config, rss
from tests.support.helpers import WATCHLISTS, run_cli
from tests.support.servers import WebhookReceiver


def _poll_once(path) -> tuple[dict, str]:
    result = run_cli("poll-once", "--json", "--config", str(path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_send_lines_name_subscriber_and_kind_and_redact_only_secrets(tmp_path, feed_server,
                                                                     webhook):
    feed = feed_server.add("/n.xml", rss(1))
    port = webhook.url.rsplit(":", 1)[1].split("/")[0]
    secret = "s3cretHookToken42"
    subscribers = [
        {"name": "research-digest", "notify": [f"json://127.0.0.1:{port}/digest"]},
        {"name": "desk", "notify": [f"json://alerts:{secret}@127.0.0.1:{port}/hook"
                                    f"?token={secret}"]},
    ]
    path = config(tmp_path, [feed], subscribers, f"sqlite:///{tmp_path / 'm.db'}")
    stats, log = _poll_once(path)
    assert stats["notifications_sent"] == 2 and len(webhook.received) == 2
    assert "[redacted]" not in log and secret not in log
    assert "sent alert to research-digest via json://" in log
    assert "sent alert to desk via json://" in log


def test_a_failed_send_is_one_line_saying_when_the_next_attempt_is(tmp_path, feed_server,
                                                                   webhook):
    webhook.fail_status = 500
    feed = feed_server.add("/n.xml", rss(1))
    path = config(tmp_path, [feed], [{"name": "desk", "notify": [webhook.url]}],
                  f"sqlite:///{tmp_path / 'm.db'}",
                  delivery={"retry_initial": "1m", "max_attempts": 3})
    stats, log = _poll_once(path)
    assert stats["notifications_failed"] == 1
    failures = [line for line in log.splitlines() if "500" in line or "notification" in line]
    assert len(failures) == 1, failures
    [line] = failures
    assert "alert to desk via json://" in line and "(attempt 1 of 3)" in line
    assert "next attempt at" in line and "UTC (in " in line
    assert " - WARNING - " not in line        # apprise's own log format, timestamp and all


def test_poll_once_sends_everything_due(tmp_path, feed_server, webhook):
    feed = feed_server.add("/n.xml", rss(505))
    path = config(tmp_path, [feed], [{"name": "desk", "notify": [webhook.url]}],
                  f"sqlite:///{tmp_path / 'm.db'}")
    stats, log = _poll_once(path)
    assert stats["hits"] == 505
    assert stats["notifications_sent"] == 505, log[-2000:]
    # a summary of the first 500 (flood control), then 5 alerts within the hour's budget
    assert len(webhook.received) == 6


def test_the_daemon_logs_the_cycle_then_the_sends(tmp_path, feed_server, webhook):
    feed = feed_server.add("/n.xml", dated_rss([("a", "ICE agents detain dozens", 0)]))
    path = daemon_config(tmp_path, [(feed, "1h")], None, f"sqlite:///{tmp_path / 'm.db'}",
                         WATCHLISTS, [{"name": "desk", "notify": [webhook.url]}])
    d = DaemonProcess(path, None).start(wait_healthy=False)
    try:
        wait_for(lambda: webhook.received, what="the alert")
        log = d.wait_for_log("sent alert to desk")
    finally:
        d.kill()
    lines = log.splitlines()
    cycle = next(i for i, line in enumerate(lines) if "cycle:" in line)
    sent = next(i for i, line in enumerate(lines) if "sent alert to desk" in line)
    assert cycle < sent and "1 hits" in lines[cycle], lines
    assert "0 alerts sent" not in log


def test_only_the_secrets_inside_a_notify_url_are_redacted():
    plain = "json://127.0.0.1:18900/digest"
    line = "sent digest of 2 stories to research-digest via json://127.0.0.1:18900/digest"
    assert redact(line, secret_parts(plain)) == line
    cases = {
        "ntfy://ntfy.sh/alerts?token=tk_0123abcd": ["tk_0123abcd"],
        "tgram://123456789:AAbbCCddEEffGG/987654": ["123456789:AAbbCCddEEffGG"],
        "mailtos://desk:hunter2secret@smtp.example.org?to=a@b.org": ["hunter2secret"],
        "json://127.0.0.1/hook?apikey=k3y-k3y-k3y&mode=digest": ["k3y-k3y-k3y"],
    }
    for url, secrets in cases.items():
        found = secret_parts(url)
        assert all(s in found for s in secrets), (url, found)
        said = redact(f"to alerts via {url} in digest mode", found)
        assert not any(s in said for s in secrets) and "alerts" in said and "digest" in said


def test_delivery_timeout_from_the_config_reaches_apprise(tmp_path, feed_server):
    slow = WebhookReceiver(delay=3).start()
    try:
        feed = feed_server.add("/n.xml", rss(1))
        path = config(tmp_path, [feed], [{"name": "desk", "notify": [slow.url]}],
                      f"sqlite:///{tmp_path / 'm.db'}",
                      delivery={"timeout": "1s", "retry_initial": "1m"})
        stats, log = _poll_once(path)
    finally:
        slow.stop()
    assert stats["notifications_failed"] == 1 and len(slow.received) == 1
    assert "alert to desk via json://" in log and "next attempt at" in log


def _redacted(url: str) -> str:
    """The line a log would show about ``url`` with its secrets redacted."""
    return redact(f"desk via {url} in digest mode", secret_parts(url))


@pytest.mark.parametrize(("url", "secrets", "readable"), [
    # generic webhooks: a token-like path segment (8+ with a digit, 16+ of mixed case)
    ("json://hooks.example.com/services/T0KEN123abcXYZ", ["T0KEN123abcXYZ"],
     ["hooks.example.com", "services"]),
    ("jsons://hooks.example.com/services/T0AAAAAAA/B0BBBBBBB/xYzxYzxYzxYzxYzxYzxYzxYz",
     ["T0AAAAAAA", "B0BBBBBBB", "xYzxYzxYzxYzxYzxYzxYzxYz"], ["hooks.example.com", "services"]),
    ("xmls://relay.example.org/in/8f14e45fceea167a", ["8f14e45fceea167a"],
     ["relay.example.org", "/in/"]),
    ("form://relay.example.org/hook/AbCdEfGhIjKlMnOpQrSt", ["AbCdEfGhIjKlMnOpQrSt"],
     ["relay.example.org", "hook"]),
    ("json://127.0.0.1:18900/digest", [], ["127.0.0.1:18900/digest"]),
    # ntfy: the topic is the credential on a public server
    ("ntfys://ntfy.sh/my-private-topic", ["my-private-topic"], ["ntfy.sh"]),
    ("ntfy://kx7-desk-alerts", ["kx7-desk-alerts"], []),
    ("ntfy://ntfy.sh/alerts?token=tk_0123abcd", ["tk_0123abcd"], ["ntfy.sh/alerts"]),
])
def test_token_like_parts_of_every_kind_of_url_are_redacted(url, secrets, readable):
    said = _redacted(url)
    assert not any(s in said for s in secrets), said
    assert all(r in said for r in readable) and "desk" in said and "digest" in said, said


def test_a_url_apprise_cannot_read_keeps_only_hosts_and_words():
    url = "bogus://hooks.example/incoming/Zq81xkPq99?x=abc"
    found = secret_parts(url)
    said = redact("POST to hooks.example failed: /incoming/Zq81xkPq99 said no", found)
    assert said == "POST to hooks.example failed: /incoming/[redacted] said no"
    assert _redacted(url) == "desk via bogus://[redacted] in digest mode"


def test_the_storage_password_is_among_the_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("FIXA_DB_PASSWORD", "pg-Pa55word-xyz")
    path = tmp_path / "config.toml"
    path.write_text(f'[watchlists]\ndir = "{WATCHLISTS}"\n[storage]\n'
                    'url = "postgresql+psycopg://monitor:${FIXA_DB_PASSWORD}@db.internal/m"\n',
                    encoding="utf-8")
    config, problems = check_config(path)
    assert problems == []
    parts = [p for s in config.secrets() for p in secret_parts(s)]
    line = 'connecting as monitor with password "pg-Pa55word-xyz" to db.internal'
    assert redact(line, parts) == 'connecting as monitor with password "[redacted]" to db.internal'
