"""A real ``monitor run`` killed with SIGKILL, or stopped with SIGTERM, while sending."""

from __future__ import annotations

import signal
from collections import Counter

from sqlalchemy import func, select

from storage import Delivery, connect
from tests.support.delivery_helpers import config, rss, start_daemon, wait_for

STORIES = 6


def _states(url: str) -> dict[str, int]:
    db = connect(url)
    try:
        with db.session() as s:
            rows = s.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            return {state: n for state, n in rows}
    finally:
        db.dispose()


def _setup(tmp_path, feed_server, webhook, storage_url):
    feed = feed_server.add("/crash.xml", rss(STORIES, "crash"))
    webhook.delay = 1.0
    return config(tmp_path, [feed], [{"name": "hooks", "notify": [webhook.url],
                                      "max_per_hour": 100}], storage_url,
                  delivery={"lease": "2s", "retry_initial": "1s"})


def _titles(webhook) -> Counter:
    return Counter(m["title"] for m in webhook.received)


def test_sigkill_mid_send_loses_nothing_and_doubles_at_most_one(tmp_path, feed_server, webhook,
                                                                storage_url):
    cfg = _setup(tmp_path, feed_server, webhook, storage_url)
    log = tmp_path / "daemon.log"
    proc = start_daemon(cfg, log)
    try:
        # The second alert has reached the receiver, which holds its answer for 1 s.
        wait_for(lambda: len(webhook.received) >= 2, 30, "two alerts to arrive")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    states = _states(storage_url)
    assert states.get("sending") == 1, states           # the kill landed mid-flight
    assert states.get("sent") == 1 and states.get("pending") == STORIES - 2, states

    webhook.delay = 0.2
    proc = start_daemon(cfg, log)
    try:
        wait_for(lambda: len(_titles(webhook)) == STORIES, 40, "every alert after the restart")
        wait_for(lambda: _states(storage_url) == {"sent": STORIES}, 10, "the ledger to settle")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    counts = _titles(webhook)
    assert len(counts) == STORIES
    assert STORIES <= sum(counts.values()) <= STORIES + 1, counts     # only the in-flight one


def test_sigterm_finishes_the_message_in_flight_and_exits_0(tmp_path, feed_server, webhook,
                                                            storage_url):
    cfg = _setup(tmp_path, feed_server, webhook, storage_url)
    log = tmp_path / "daemon.log"
    proc = start_daemon(cfg, log)
    try:
        wait_for(lambda: len(webhook.received) >= 2, 30, "two alerts to arrive")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        proc.kill()
    states = _states(storage_url)
    assert "sending" not in states, states               # finished, not abandoned
    assert states.get("sent") == len(webhook.received) == 2, states

    webhook.delay = 0.0
    proc = start_daemon(cfg, log)
    try:
        wait_for(lambda: len(webhook.received) >= STORIES, 40, "the rest after the restart")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    assert sorted(_titles(webhook).values()) == [1] * STORIES   # nothing twice
