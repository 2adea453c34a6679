"""Spike alerts from two processes on one database (a daemon and a manual ``poll-once``): each
row is claimed before it is sent, so the burst reaches a real webhook receiver once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.trends.alerts import send_spike_alerts
from storage.models import utcnow
from storage.trends import SpikeFacts, record_spike
from tests.support.evidence import evidence_runtime
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.servers import WebhookReceiver


@pytest.fixture
def hook():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def test_a_spike_alert_is_sent_once_when_two_processes_send(tmp_path, hook,
                                                            any_url):  # noqa: F811
    subscribers = [{"name": "campaign", "notify": [hook.url], "spikes": True}]
    daemon = evidence_runtime(tmp_path, subscribers, storage_url=any_url)
    manual = evidence_runtime(tmp_path, subscribers, storage_url=any_url)
    now = utcnow()
    with daemon.db.session() as s:
        channel = daemon.config.subscribers[0].channels[0].id
        record_spike(s, SpikeFacts("GEO Group", "GEO Group", now - timedelta(hours=2),
                                   now - timedelta(hours=1), "hour", 9, 1.0,
                                   [{"id": 1, "title": "GEO Group contract", "link": None,
                                     "outlets": []}], []),
                     now - timedelta(days=1), [("campaign", channel)])
    others: list = []

    def meanwhile() -> bool:   # the manual run sends while the daemon holds its due list
        if not others:
            others.append(send_spike_alerts(manual))
        return False

    mine = send_spike_alerts(daemon, meanwhile)
    try:
        assert (others[0].sent, mine.sent) == (1, 0)
        assert [m["title"] for m in hook.received] == [
            "Spike: GEO Group, 9 stories against 1 usual"]
        assert send_spike_alerts(daemon).sent == send_spike_alerts(manual).sent == 0
    finally:
        daemon.close()
        manual.close()
