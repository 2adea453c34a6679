"""Save Page Now through the queue, against a loopback SPN2 that answers as the real one: a
429 is retried after its backoff, the job is asked about until it succeeds, the archive URL is
kept with the story and shown in alerts sent after it is known."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.evidence.run import evidence_pass
from notifiers.content import build_digest
from notifiers.messages import Renderer
from storage import evidence as store
from storage.deliveries import add_pending
from storage.models import Story
from tests.support.articles import ArticleServer
from tests.support.evidence import FOUND, add_story, article, evidence_runtime
from tests.support.servers import WebhookReceiver
from tests.support.spn import TIMESTAMP, SpnServer

HEADLINE = "ICE detains 41 in overnight raids"


@pytest.fixture
def servers():
    site, spn, hook = ArticleServer().start(), SpnServer(busy=1).start(), WebhookReceiver().start()
    yield site, spn, hook
    for server in (site, spn, hook):
        server.stop()


def test_capture_is_queued_retried_and_its_archive_url_alerted(tmp_path, servers):
    site, spn, hook = servers
    rt = evidence_runtime(tmp_path, [{"name": "desk", "notify": [hook.url]}],
                          f'wayback = true\nwayback_url = "{spn.base}"\n'
                          'wayback_key = "access:secret"\n')
    link = site.add("/news/raids", article(HEADLINE))
    story = add_story(rt, link, HEADLINE, alerted=())

    def state():
        with rt.db.read() as s:
            check = store.check_of(s, story)
            assert check is not None
            return check.wayback_state, check.wayback_next_at, check.archive_url

    evidence_pass(rt, now=FOUND)  # 429: retried later, not lost
    assert [r[:2] for r in spn.requests] == [("POST", "/save")]
    wait, when, _ = state()
    assert wait == "queued" and when is not None and when >= FOUND + timedelta(seconds=30)
    evidence_pass(rt, now=when - timedelta(seconds=1))
    assert len(spn.requests) == 1  # not before its time

    evidence_pass(rt, now=when)
    method, path, form, headers = spn.requests[1]
    assert (method, path, form) == ("POST", "/save", {"url": [link]})
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == "LOW access:secret"
    pending, asked_at, _ = state()
    assert pending == "pending" and asked_at is not None

    evidence_pass(rt, now=asked_at)  # the job is still pending
    assert state()[0] == "pending" and spn.requests[-1][1].startswith("/save/status/spn2-")
    evidence_pass(rt, now=state()[1])
    done, _, archive = state()
    assert done == "done" and archive == f"{spn.base}/web/{TIMESTAMP}/{link}"

    with rt.db.session() as s:  # an alert queued after the archive URL is known shows it
        add_pending(s, story, [("desk", rt.config.subscribers[0].channels[0].id)])
    rt.outbox.deliver_due()
    assert len(hook.received) == 1 and archive in hook.received[0]["message"]
    with rt.db.read() as s:  # digests too
        digest = build_digest(s, [s.get(Story, story)], rt.config.subscribers[0], "digest",
                              FOUND)
    assert digest is not None
    text = Renderer().render_digest(digest, "text").body
    assert f"archived: {archive}" in text
    rt.close()


def test_a_capture_failing_every_time_stops_after_its_attempts(tmp_path, servers):
    site, spn, _ = servers
    spn.busy = 100
    rt = evidence_runtime(tmp_path, [], f'wayback = true\nwayback_url = "{spn.base}"\n'
                                        'wayback_attempts = 3\n')
    story = add_story(rt, site.add("/a", article(HEADLINE)), HEADLINE)
    now = FOUND
    for _ in range(5):
        evidence_pass(rt, now=now)
        now += timedelta(days=1)
    with rt.db.read() as s:
        check = store.check_of(s, story)
        assert check is not None and check.wayback_state == "failed"
        assert check.wayback_attempts == 3 and "429" in (check.wayback_error or "")
    assert len(spn.requests) == 3
    rt.close()
