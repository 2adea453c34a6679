"""The outbox against a real receiver and SMTP: claims, pacing, digests, limits, templates."""

from __future__ import annotations

import email
import time
from datetime import UTC, datetime, timedelta
from email import policy
from functools import partial

import pytest
from sqlalchemy import func, select, update

from monitor.config.schedule import cron_trigger, cron_weekdays
from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries
from monitor.sources.entry import Entry, entry_key
from notifiers.channels import Channel, QuietHours, Recipient
from notifiers.content import sparkline
from notifiers.limits import Limits, cut, fit
from notifiers.messages import Message, Renderer
from notifiers.outbox import Outbox, RetryPolicy
from notifiers.pacing import Due, plan
from notifiers.sender import send
from storage import Delivery, Hit
from storage.deliveries import claim, finish_sent
from tests.support.delivery_helpers import news_feed
from tests.support.helpers import WATCHLISTS
from tests.support.servers import WebhookReceiver

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)          # a Friday


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watchlists(WATCHLISTS))


def _store(db, matcher, recipients, titles, at: datetime, prefix="s") -> None:
    """Ingest one story per title through the real matcher; rows stamped ``at``."""
    entries = [Entry(entry_key(f"{prefix}{i}", None, t, ""), f"{prefix}{i}",
                     f"https://news.example/{prefix}/{i}", t, f"{t}. More to follow.", "", at)
               for i, t in enumerate(titles)]
    with db.session() as s:
        feed = news_feed(s)
        store_entries(s, feed, prepare(entries, matcher), recipients)
    with db.session() as s:
        s.execute(update(Delivery).where(Delivery.state == "pending", Delivery.created_at > at)
                  .values(created_at=at, next_attempt_at=at))
        s.execute(update(Hit).where(Hit.created_at > at).values(created_at=at))


def _hook(webhook, **kw) -> Recipient:
    return Recipient("hooks", (Channel("c1", webhook.url),), **kw)


def _outbox(db, recipients, **kw) -> Outbox:
    return Outbox(db, recipients, RetryPolicy(initial=1, max_attempts=3), **kw)


def _states(db) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {state: n for state, n in rows}


ICE = [f"ICE agents detain {n} workers at a plant" for n in range(1, 4)]


def test_claim_is_exclusive_until_its_lease_runs_out(db, matcher, webhook):
    r = _hook(webhook)
    _store(db, matcher, [r], ICE[:1], T0)
    with db.session() as s:
        ids = list(s.scalars(select(Delivery.id)))
        first, taken = claim(s, ids, T0, lease=60)
    assert taken == ids
    with db.session() as s:
        assert claim(s, ids, T0 + timedelta(seconds=59), lease=60)[1] == []
        second, retaken = claim(s, ids, T0 + timedelta(seconds=61), lease=60)
    assert retaken == ids
    with db.session() as s:
        assert finish_sent(s, first, T0) == 0          # the crashed worker's claim is void
        assert finish_sent(s, second, T0) == 1


def test_http_error_is_retried_then_failed_and_kept(db, matcher, webhook):
    r = _hook(webhook)
    _store(db, matcher, [r], ICE[:1], T0)
    webhook.fail_status = 500
    box = _outbox(db, [r])
    for n in range(3):
        report = box.deliver_due(T0 + timedelta(hours=n))
    assert (report.sent, report.failed) == (0, 1)
    assert webhook.attempts == 3 and _states(db) == {"failed": 1}
    with db.session() as s:
        d = s.scalar(select(Delivery))
        assert "500" in d.last_error and webhook.url not in d.last_error


def test_routing_by_entity_and_min_score(db, matcher, webhook):
    amazon_only = Recipient("amazon", (Channel("a", webhook.url),), entities=("Amazon",))
    strict = Recipient("strict", (Channel("b", webhook.url),), min_score=1.0)
    titles = ["Amazon Web Services renews contract with Immigration and Customs Enforcement",
              "Immigraton and Customs Enforcment raids a farm"]     # typos: fuzzy score < 1
    _store(db, matcher, [amazon_only, strict], titles, T0)
    with db.session() as s:
        got = sorted((d.subscriber, d.story.title[:6]) for d in s.scalars(select(Delivery)))
    assert got == [("amazon", "Amazon"), ("strict", "Amazon")]
    _outbox(db, [amazon_only, strict]).deliver_due(T0)
    titles = sorted(m["title"].split("]")[0] + "]" for m in webhook.received)
    assert titles == ["[Amazon, ICE]", "[Amazon]"]      # amazon: only the entity routed to them


def test_quiet_hours_hold_then_one_message(db, matcher, webhook):
    r = _hook(webhook, timezone="America/New_York", quiet_hours=QuietHours.parse("22:00-07:00"))
    night = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)   # 23:00 in New York
    _store(db, matcher, [r], ICE, night)
    box = _outbox(db, [r])
    assert box.deliver_due(night + timedelta(hours=2)).messages == 0
    assert webhook.received == [] and _states(db) == {"pending": 3}
    morning = datetime(2026, 11, 27, 12, 5, tzinfo=UTC)  # 07:05 in New York
    report = box.deliver_due(morning)
    assert (report.messages, report.sent) == (1, 3)
    [message] = webhook.received
    assert message["title"].startswith("3 stories held during quiet hours")
    assert all(f"https://news.example/s/{i}" in message["message"] for i in range(3))
    _store(db, matcher, [r], ["ICE agents detain 9 workers"], morning, prefix="later")
    assert box.deliver_due(morning + timedelta(minutes=1)).messages == 1
    assert webhook.received[-1]["title"].startswith("[ICE] ")     # back to one per story


def test_flood_is_combined_into_one_summary(db, matcher, webhook):
    r = _hook(webhook, max_per_hour=5)
    _store(db, matcher, [r], ICE[:2], T0)
    box = _outbox(db, [r])
    assert box.deliver_due(T0).messages == 2
    titles = [f"ICE agents detain {n} families in a raid" for n in range(10, 22)]
    _store(db, matcher, [r], titles, T0 + timedelta(minutes=1), prefix="burst")
    report = box.deliver_due(T0 + timedelta(minutes=1))
    assert (report.messages, report.sent) == (1, 12)
    assert webhook.received[-1]["title"].startswith("12 stories combined into one alert")
    assert len(webhook.received) == 3


def test_pacing_waits_when_the_hour_is_used_up():
    r = Recipient("x", (), max_per_hour=3)
    due = [Due(i, T0) for i in range(4)]
    assert [b.kind for b in plan(r, due[:1], T0, 2)] == ["alert"]
    assert [b.kind for b in plan(r, due, T0, 2)] == ["flood"]
    assert plan(r, due, T0, 3) == []


def test_digest_with_controlled_clock_over_real_smtp(db, matcher, smtp, webhook):
    desk = Recipient("desk", (Channel("m", smtp.url()), Channel("h", webhook.url)),
                     mode="digest", schedule="0 8 * * 1-5", timezone="Europe/Berlin")
    box = _outbox(db, [desk])
    assert box.send_digest("desk", T0).messages == 0              # nothing pending: nothing sent
    titles = ICE[:2] + ["Amazon Web Services renews contract with Immigration and Customs "
                        "Enforcement", "GEO Group opens a new detention center in Texas"]
    _store(db, matcher, [desk], titles[:1], T0 - timedelta(days=2), prefix="old")
    _store(db, matcher, [desk], titles[1:], T0)
    assert box.deliver_due(T0 + timedelta(hours=1)).messages == 0   # digests wait for schedule
    report = box.send_digest("desk", T0 + timedelta(hours=1))
    assert (report.messages, report.sent) == (2, 8)
    assert box.send_digest("desk", T0 + timedelta(hours=2)).messages == 0

    [(_from, _to, raw)] = smtp.messages
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert str(msg["Subject"]).startswith("Digest: 4 stories — ICE (3), Amazon (1), GEO Group (1)")
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "Stories per day" in html and 'bgcolor="#cc3333"' in html
    assert "<mark>" in html and "Loopback News" in html
    assert msg.get_body(preferencelist=("plain",)) is not None   # apprise adds a text part
    text = webhook.received[0]["message"]
    assert "== ICE: 3 stories ==" in text and "== Amazon: 1 story ==" in text
    spark = text.split("Stories per day, 21 Nov – 27 Nov: ")[1].split(" ")[0]
    assert len(spark) == 7 and spark[4] != "▁" and spark[6] == "█"   # two days ago, today
    assert "«ICE" in text or "«Immigration" in text


def test_cron_schedule_fires_on_weekday_mornings_local_time():
    trigger = cron_trigger("0 8 * * 1-5", "America/New_York")
    assert trigger.get_next_fire_time(None, T0).astimezone(UTC) == T0 + timedelta(hours=1)
    friday_9am = T0 + timedelta(hours=2)                            # 09:00 in New York
    fire = trigger.get_next_fire_time(None, friday_9am)
    assert fire.astimezone(UTC) == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 EST


@pytest.mark.parametrize(("field", "days"), [
    ("1-5", "mon,tue,wed,thu,fri"), ("0", "sun"), ("7", "sun"), ("5-7", "sun,fri,sat"),
    ("*/2", "sun,tue,thu,sat"), ("sat,sun", "sun,sat"), ("*", "*")])
def test_crontab_weekdays_count_sunday_as_0(field, days):
    assert cron_weekdays(field) == days


def test_long_digest_is_fitted_without_splitting_links():
    renderer = Renderer()
    link = "https://news.example/a-very-long-story-link-that-must-not-be-cut-in-half"
    lines = [f"* story {i}\n  {link}/{i}" for i in range(100)]
    message = Message("t" * 300, "\n".join(lines), "text")
    short = cut(message, Limits(title=250, body=1000))
    assert len(short.title) == 250 and short.title.endswith("…")
    assert len(short.body) <= 1000 and short.body.endswith("(cut to fit this channel)\n")
    body_links = [w for w in short.body.split() if w.startswith("https://")]
    assert body_links and all(w.startswith(link + "/") and w[len(link) + 1:].isdigit()
                              for w in body_links)
    assert len(cut(message, Limits(title=0, body=1000)).body) <= 1000 - 302
    assert renderer  # the renderer itself is exercised by the digest tests


def test_fit_drops_stories_before_cutting(db, matcher, webhook):
    r = _hook(webhook, mode="digest", schedule="0 8 * * *")
    _store(db, matcher, [r], [f"ICE agents detain {n} people" for n in range(40)], T0)
    box = _outbox(db, [r])
    calls = []

    def render(k):
        calls.append(k)
        body = "x" * (100 * (k or 40))
        return Message("t", body, "text")
    assert len(fit(render, 40, Limits(body=1500)).body) <= 1500
    assert calls[:3] == [None, 20, 10]
    assert box.send_digest("hooks", T0).messages == 1
    assert len(webhook.received[0]["message"]) < 32768


def test_admin_template_overrides_the_packaged_one(db, matcher, webhook, tmp_path):
    (tmp_path / "alert.txt.j2").write_text("CUSTOM {{ alert.title }} <{{ alert.link }}>\n")
    r = _hook(webhook)
    _store(db, matcher, [r], ICE[:1], T0)
    _outbox(db, [r], renderer=Renderer(tmp_path)).deliver_due(T0)
    assert webhook.received[0]["message"].strip() == (
        "CUSTOM ICE agents detain 1 workers at a plant <https://news.example/s/0>")


def test_sparkline():
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([0, 0]) == "▁▁"


def test_held_alerts_never_crowd_out_other_subscribers(db, matcher, webhook):
    sleeper = Recipient("sleeper", (Channel("z", webhook.url),), timezone="UTC",
                        quiet_hours=QuietHours.parse("00:00-23:59"))
    digest = Recipient("desk", (Channel("y", webhook.url),), mode="digest",
                       schedule="0 8 * * *")
    _store(db, matcher, [sleeper, digest], ICE, T0 - timedelta(hours=1), prefix="early")
    awake = _hook(webhook)
    _store(db, matcher, [awake], ["ICE agents detain 7 workers"], T0)
    report = _outbox(db, [sleeper, digest, awake]).deliver_due(T0, limit=2)
    assert report.messages == 1 and webhook.received[0]["title"].startswith("[ICE] ")


def test_slow_receiver_gets_one_copy_and_holds_up_no_one(db, matcher, webhook):
    slow = WebhookReceiver(delay=5.5).start()       # apprise gives up after 4 s by default
    try:
        first = Recipient("a-slow", (Channel("s", slow.url),))
        second = Recipient("b-fast", (Channel("f", webhook.url),))
        _store(db, matcher, [first, second], ICE[:1], T0)
        started = time.monotonic()
        report = _outbox(db, [first, second]).deliver_due(T0)
        assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
        assert len(slow.received) == 1 and _states(db) == {"sent": 2}
        assert webhook.arrived[0] - started < 2, "the healthy subscriber waited for the slow one"
        later = _outbox(db, [first, second]).deliver_due(T0 + timedelta(hours=1))
        assert later.messages == 0 and len(slow.received) == 1
    finally:
        slow.stop()


def test_a_short_delivery_timeout_fails_a_slow_receiver(db, matcher):
    slow = WebhookReceiver(delay=3).start()
    try:
        r = Recipient("slow", (Channel("s", slow.url),))
        _store(db, matcher, [r], ICE[:1], T0)
        box = _outbox(db, [r], sender=partial(send, timeout=1.0))
        started = time.monotonic()
        report = box.deliver_due(T0)
        assert report.retrying == 1 and time.monotonic() - started < 2.9
        with db.session() as s:
            assert "JSON notification" in s.scalar(select(Delivery.last_error))
    finally:
        slow.stop()
