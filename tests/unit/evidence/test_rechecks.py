"""Rechecks through the real page fetcher against a loopback site, the clock injected as the
pass's ``now``: an edited headline and a removal are each alerted once, to subscribers with
``changes = true`` only; a trivial edit, a page that is not HTML and one that hangs never."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from monitor.evidence.run import evidence_pass
from storage import evidence as store
from tests.support.articles import Answer
from tests.support.evidence import FOUND, HEADLINE, add_story, article, evidence_runtime
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.servers import WebhookReceiver


@pytest.fixture
def hooks():
    watcher, other = WebhookReceiver().start(), WebhookReceiver().start()
    yield watcher, other
    watcher.stop()
    other.stop()


@pytest.fixture
def rt(tmp_path, hooks, any_url):  # noqa: F811
    watcher, other = hooks
    runtime = evidence_runtime(tmp_path, [
        {"name": "desk", "notify": [watcher.url], "changes": True},
        {"name": "readers", "notify": [other.url]}], 'wayback = false\n', storage_url=any_url)
    yield runtime
    runtime.close()


def at(**delta: float):
    return FOUND + timedelta(**delta)


def kinds(rt, story_id):
    with rt.db.read() as s:
        return [(v.version, v.kind) for v in store.versions(s, story_id)]


def test_headline_edit_then_removal_each_alerted_once_to_changes_subscribers(rt, site, hooks):
    watcher, other = hooks
    link = site.add("/news/raids", article(HEADLINE))
    story = add_story(rt, link, HEADLINE)

    report = evidence_pass(rt, now=at(minutes=1))
    assert report.captured == 1 and kinds(rt, story) == [(1, "page")]
    with rt.db.read() as s:
        first = store.versions(s, story)[0]
        assert first.sha256 == hashlib.sha256(site.pages["/news/raids"].body).hexdigest()
        assert store.raw_body(first) == site.pages["/news/raids"].body
        assert dict(store.header_pairs(first))["content-type"].startswith("text/html")

    site.add("/news/raids", article("Agency detains 41 in overnight raids"))
    assert evidence_pass(rt, now=at(minutes=30)).rechecked == 0  # not due before 1 h
    report = evidence_pass(rt, now=at(hours=1))
    assert (report.rechecked, report.changed) == (1, 1)
    assert kinds(rt, story) == [(1, "page"), (2, "page")]
    assert len(watcher.received) == 1 and other.received == []
    message = watcher.received[0]
    assert "headline changed" in message["title"]
    assert HEADLINE in message["message"] and "Agency detains 41" in message["message"]

    assert evidence_pass(rt, now=at(hours=2)).rechecked == 0  # once per delay
    del site.pages["/news/raids"]
    report = evidence_pass(rt, now=at(hours=24))
    assert report.changed == 1 and kinds(rt, story)[-1] == (3, "gone")
    assert len(watcher.received) == 2 and "removed" in watcher.received[1]["message"]
    assert "404" in watcher.received[1]["title"]

    report = evidence_pass(rt, now=at(days=7))  # still gone: nothing new to say
    assert report.rechecked == 1 and report.changed == 0
    assert len(watcher.received) == 2 and other.received == []
    with rt.db.read() as s:
        check = store.check_of(s, story)
        assert check is not None and check.checks_done == 3 and check.next_check_at is None
        assert [(sub, state) for sub, _, state in store.change_alert_states(s, story)] == [
            ("desk", "sent"), ("desk", "sent")]
    assert evidence_pass(rt, now=at(days=30)).rechecked == 0


def test_trivial_edits_and_failed_refetches_are_no_change(rt, site, hooks):
    watcher, _ = hooks
    link = site.add("/news/trivial", article(HEADLINE))
    story = add_story(rt, link, HEADLINE)
    evidence_pass(rt, now=at(minutes=1))

    site.pages["/news/trivial"] = Answer(b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
    assert evidence_pass(rt, now=at(hours=1)).changed == 0  # not HTML: tried at the next delay

    site.add("/news/trivial", article(HEADLINE, stamp="Updated 9:01 PM EST, Tuesday December 1, "
                                      "2026", shares="3,480 shares", spacing="  "))
    assert evidence_pass(rt, now=at(hours=24)).changed == 0

    site.add("/news/trivial", article(HEADLINE, paragraphs=["A different story altogether, "
                                                            "about ICE and nothing else."]))
    assert evidence_pass(rt, now=at(days=7)).changed == 1  # the last delay still notices
    assert kinds(rt, story) == [(1, "page"), (2, "page")]
    assert len(watcher.received) == 1 and "body changed" in watcher.received[0]["title"]


def test_a_page_that_now_redirects_elsewhere_is_a_change(rt, site, hooks):
    watcher, _ = hooks
    link = site.add("/news/moved", article(HEADLINE))
    home = site.add("/", b"<html><body><h1>Front page</h1></body></html>")
    story = add_story(rt, link, HEADLINE)
    evidence_pass(rt, now=at(minutes=1))
    site.pages["/news/moved"] = Answer(b"", status=301, headers={"Location": home})
    assert evidence_pass(rt, now=at(hours=1)).changed == 1
    assert kinds(rt, story)[-1] == (2, "redirect")
    assert len(watcher.received) == 1 and home in watcher.received[0]["message"]
    assert evidence_pass(rt, now=at(hours=24)).changed == 0  # still there: said once


def test_evidence_is_off_unless_kept(tmp_path, site):
    runtime = evidence_runtime(tmp_path, [], keep=False)
    try:
        story = add_story(runtime, site.add("/a", article(HEADLINE)), HEADLINE)
        assert evidence_pass(runtime, now=at(minutes=1)).captured == 0
        assert site.asked == [] and kinds(runtime, story) == []
    finally:
        runtime.close()


def test_a_refetch_that_hangs_or_is_too_large_is_no_change(tmp_path, site, webhook):
    rt = evidence_runtime(tmp_path, [{"name": "desk", "notify": [webhook.url], "changes": True}],
                          polling='timeout = "2s"\nmax_bytes = 60000')
    try:
        link = site.add("/news/slow", article(HEADLINE))
        story = add_story(rt, link, HEADLINE)
        evidence_pass(rt, now=at(minutes=1))
        site.pages["/news/slow"] = Answer(b"", status=302, headers={"Location": "/hang"})
        assert evidence_pass(rt, now=at(hours=1)).changed == 0  # the deadline passed
        site.add("/news/slow", article(HEADLINE, paragraphs=["ICE " * 20000]))
        assert evidence_pass(rt, now=at(hours=24)).changed == 0  # over the size cap
        site.add("/news/slow", article("Agency detains 41 in overnight raids"))
        assert evidence_pass(rt, now=at(days=7)).changed == 1
        assert kinds(rt, story) == [(1, "page"), (2, "page")] and len(webhook.received) == 1
        assert "/hang" in site.asked
    finally:
        rt.close()


def test_change_alerts_wait_for_the_end_of_quiet_hours(tmp_path, site, webhook):
    rt = evidence_runtime(tmp_path, [{"name": "desk", "notify": [webhook.url], "changes": True,
                                      "quiet_hours": "12:30-14:00"}])
    try:
        link = site.add("/news/quiet", article(HEADLINE))
        add_story(rt, link, HEADLINE)
        evidence_pass(rt, now=at(minutes=1))
        site.add("/news/quiet", article("Agency detains 41 in overnight raids"))
        assert evidence_pass(rt, now=at(hours=1)).changed == 1  # 13:00: quiet
        assert webhook.received == []
        evidence_pass(rt, now=at(hours=1, minutes=59))
        assert webhook.received == []
        evidence_pass(rt, now=at(hours=2))  # 14:00: the window has ended
        assert len(webhook.received) == 1 and "headline changed" in webhook.received[0]["title"]
    finally:
        rt.close()


def test_change_alerts_go_only_to_subscribers_alerted_to_the_story(rt, site, hooks):
    watcher, other = hooks
    refused = add_story(rt, site.add("/news/refused", article(HEADLINE)), HEADLINE,
                        alerted=["readers"])   # desk's query or languages refused it
    backlog = add_story(rt, site.add("/news/backlog", article(HEADLINE)), HEADLINE, alerted=())
    sent = add_story(rt, site.add("/news/sent", article(HEADLINE)), HEADLINE, alerted=["desk"])
    assert evidence_pass(rt, now=at(minutes=1)).captured == 3
    for path in ("/news/refused", "/news/backlog", "/news/sent"):
        site.add(path, article("Agency detains 41 in overnight raids"))
    report = evidence_pass(rt, now=at(hours=1))
    assert (report.changed, report.change_alerts) == (3, 1)
    assert len(watcher.received) == 1 and other.received == []
    with rt.db.read() as s:
        assert [sub for sub, _, _ in store.change_alert_states(s, sent)] == ["desk"]
        assert store.change_alert_states(s, refused) == store.change_alert_states(s, backlog) == []


def test_a_page_never_captured_is_not_removed_and_a_flapping_one_is_removed_once(rt, site, hooks):
    watcher, _ = hooks
    late = add_story(rt, site.url("/news/late"), HEADLINE)      # 404: not up yet
    flaps = add_story(rt, site.add("/news/flaps", article(HEADLINE)), HEADLINE)
    evidence_pass(rt, now=at(minutes=1))
    assert kinds(rt, late) == [] and kinds(rt, flaps) == [(1, "page")]
    del site.pages["/news/flaps"]
    assert evidence_pass(rt, now=at(hours=1)).change_alerts == 1   # flaps removed; late not
    assert kinds(rt, late) == [(1, "gone")]
    site.add("/news/late", article(HEADLINE))
    site.add("/news/flaps", article(HEADLINE))                     # back as it was
    assert evidence_pass(rt, now=at(hours=24)).change_alerts == 0
    del site.pages["/news/late"], site.pages["/news/flaps"]
    report = evidence_pass(rt, now=at(days=7))   # late: its first capture gone; flaps: again
    assert report.change_alerts == 1
    removed = [m for m in watcher.received if "removed" in m["message"]]
    assert len(removed) == 2 and all(HEADLINE in m["message"] for m in removed)
    with rt.db.read() as s:
        assert len(store.change_alert_states(s, late)) == 1
        assert len(store.change_alert_states(s, flaps)) == 1


def _stopped_when_hung(site, rt, now):
    """An evidence pass whose stop is asked once the site's /hang is: its report, its time."""
    import threading
    import time

    stop = threading.Event()
    site.stop_when_hung(stop)
    started = time.monotonic()
    report = evidence_pass(rt, now=now, stop=stop.is_set)
    assert stop.is_set()
    return report, time.monotonic() - started


def test_a_stop_request_cuts_captures_and_rechecks_and_later_passes_take_them(tmp_path, site,
                                                                              webhook):
    rt = evidence_runtime(tmp_path, [{"name": "desk", "notify": [webhook.url], "changes": True}])
    hang = Answer(b"", status=302, headers={"Location": "/hang"})
    try:
        link = site.add("/news/slow", hang.body, status=302, headers=hang.headers)
        story = add_story(rt, link, HEADLINE)
        report, took = _stopped_when_hung(site, rt, at(minutes=1))
        assert took < 5, f"the capture held the stop for {took:.1f}s"  # the hang is 10 s
        assert report.captured == 0 and kinds(rt, story) == []
        with rt.db.read() as s:  # not started: the next pass captures it as new
            assert [sid for sid, _, _ in store.uncaptured(s, at(days=-1), 10)] == [story]
        site.add("/news/slow", article(HEADLINE))
        assert evidence_pass(rt, now=at(minutes=2)).captured == 1

        site.pages["/news/slow"] = hang
        report, took = _stopped_when_hung(site, rt, at(hours=1))
        assert took < 5 and report.rechecked == 0  # the recheck is not counted as done
        site.add("/news/slow", article("Agency detains 41 in overnight raids"))
        assert evidence_pass(rt, now=at(hours=1, minutes=31)).changed == 1  # its lease ended
        assert kinds(rt, story) == [(1, "page"), (2, "page")]
    finally:
        rt.close()
