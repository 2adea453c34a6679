"""What subscribers read, through the real delivery paths: links, wording, escaping, charts."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import apprise
import markdown
import pytest
from apprise import NotifyFormat
from sqlalchemy import select, update

from monitor.config.watchlists import load_watchlists
from monitor.matching import Matcher
from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries
from monitor.sources.entry import Entry, entry_key
from notifiers.channels import Channel, Recipient
from notifiers.content import build_alert, build_digest
from notifiers.messages import Renderer
from storage import Delivery, Hit, Story
from tests.support.delivery_helpers import news_feed
from tests.support.helpers import WATCHLISTS
from tests.unit.notifiers.test_delivery import T0, _outbox, _store


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watchlists(WATCHLISTS))


LINK_INJECTION = ("ICE agents ](http://evil.example/x) [Official memo](http://evil.example/memo)")
MENTIONS = "ICE agents detain workers <!channel> <!here> <@U012ABC> <http://evil.example/m|memo>"
EVIL = re.compile(r"evil\.example")


def _mail(smtp, n: int = -1) -> email.message.EmailMessage:
    return email.message_from_bytes(smtp.messages[n][2], policy=policy.default)


def _plain(smtp, n: int = -1) -> str:
    return _mail(smtp, n).get_body(preferencelist=("plain",)).get_content()


def _story(db, matcher, recipients, title, summary, at, published, key) -> None:
    """One story with its own summary and publication time, found at ``at``."""
    entry = Entry(entry_key(key, None, title, summary), key, f"https://news.example/{key}",
                  title, summary, "", published)
    with db.session() as s:
        feed = news_feed(s)
        store_entries(s, feed, prepare([entry], matcher), recipients)
    with db.session() as s:
        s.execute(update(Delivery).where(Delivery.state == "pending", Delivery.created_at > at)
                  .values(created_at=at, next_attempt_at=at))
        s.execute(update(Hit).where(Hit.created_at > at).values(created_at=at))


# Bug 1: the text part of every e-mail carries every story's link.

def test_email_text_part_of_an_alert_has_its_link_and_one_line_per_quote(db, matcher, smtp):
    r = Recipient("desk", (Channel("m", smtp.url()),))
    _store(db, matcher, [r], ["GEO Group to open a new detention center in Texas"], T0)
    assert _outbox(db, [r]).deliver_due(T0).messages == 1
    text = _plain(smtp)
    assert "https://news.example/s/0" in text
    quote = next(line for line in text.splitlines() if line.startswith("GEO Group, in the"))
    assert quote == "GEO Group, in the title: GEO Group to open a new detention center in Texas"


def test_email_text_part_of_a_flood_and_a_digest_lists_every_link(db, matcher, smtp):
    flood = Recipient("flood", (Channel("m", smtp.url()),), max_per_hour=1)
    titles = [f"ICE agents detain {n} families in a raid" for n in range(5)]
    _store(db, matcher, [flood], titles, T0)
    assert _outbox(db, [flood]).deliver_due(T0).messages == 1
    digest = Recipient("digest", (Channel("d", smtp.url("digest@example.org")),),
                       mode="digest", schedule="0 8 * * *")
    _store(db, matcher, [digest], titles[:3], T0, prefix="d")
    assert _outbox(db, [digest]).send_digest("digest", T0).messages == 1
    assert _mail(smtp, 0)["Subject"].startswith("5 stories combined")
    summary, digest_text = _plain(smtp, 0), _plain(smtp, 1)
    assert all(f"https://news.example/s/{i}" in summary for i in range(5)), summary
    assert all(f"https://news.example/d/{i}" in digest_text for i in range(3)), digest_text


# Issue 12 bug 2: feed text never becomes links, mentions or formatting.

def _slack_text(body: str) -> str:
    """What apprise's Slack plugin posts for a Markdown body (its own CommonMark → mrkdwn)."""
    return apprise.Apprise.instantiate("slack://T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc") \
        .dialect_convert(body, NotifyFormat.MARKDOWN)


def _anchors_in_markdown(text: str) -> set[str]:
    return set(re.findall(r'href="([^"]*)"', markdown.markdown(text)))


def test_feed_markup_stays_text_on_slack_mattermost_markdown_and_email(db, matcher, webhook,
                                                                      smtp):
    port = webhook.url.split(":")[2].split("/")[0]
    r = Recipient("chat", (Channel("mm", f"mmost://127.0.0.1:{port}/tokentokentoken"),
                           Channel("mail", smtp.url())))
    _store(db, matcher, [r], [LINK_INJECTION, MENTIONS], T0)
    assert _outbox(db, [r]).deliver_due(T0).messages == 4
    for n in range(2):
        html = _mail(smtp, n).get_body(preferencelist=("html",)).get_content()
        [link] = set(re.findall(r'href="([^"]*)"', html))
        assert link in ("https://news.example/s/0", "https://news.example/s/1"), html
    posts = [m["text"] for m in webhook.received]
    assert len(posts) == 2
    for text in posts:
        links = _anchors_in_markdown(text)
        assert links and not any(EVIL.search(u) for u in links), (links, text)
        shown = markdown.markdown(text)
        assert "<!" not in shown and "<@" not in shown and "<http" not in shown, shown
        assert not re.search(r"@(channel|here|all|everyone)\b", text)
    with db.session() as s:
        for story in s.scalars(select(Story)):
            alert = build_alert(story, story.hits, r)
            slack = _slack_text(Renderer().render(alert, "slack").body)
            anchors = re.findall(r"<([^>]*)>", slack)
            assert anchors == [f"{story.link}|{anchors[0].split('|', 1)[1]}"], slack
            assert "ICE agents" in slack and "Official memo" in slack or "U012ABC" in slack
            md = Renderer().render(alert, "markdown").body
            assert _anchors_in_markdown(md) == {story.link}, md


def test_feed_markup_stays_text_in_digests(db, matcher, webhook):
    r = Recipient("chat", (Channel("c", webhook.url),), mode="digest", schedule="0 8 * * *")
    _store(db, matcher, [r], [LINK_INJECTION, MENTIONS], T0)
    with db.session() as s:
        stories = list(s.scalars(select(Story)))
        digest = build_digest(s, stories, r, "digest", T0)
    for kind in ("slack", "markdown"):
        body = Renderer().render_digest(digest, kind).body
        assert _anchors_in_markdown(body) == {"https://news.example/s/0",
                                              "https://news.example/s/1"}, body
        assert "<!" not in _slack_text(body) and "<@" not in _slack_text(body)


FORMATTED = "ICE *raids* in New_York: _agents_ ~held~ `code` a\\b & <!here> @channel"
WORD_JOINER = "\u2060"
SLACK_ESCAPE = re.compile(r"\\[*_~`<>&\[\]()!#\\]")


def test_slack_shows_feed_text_without_backslashes_or_formatting(db, matcher):
    r = Recipient("chat", (Channel("c", "slack://T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"),),
                  mode="digest", schedule="0 8 * * *", timezone="America/New_York")
    _store(db, matcher, [r], [FORMATTED], T0)
    with db.session() as s:
        [story] = s.scalars(select(Story))
        alert = Renderer().render(build_alert(story, story.hits, r), "slack").body
        digest = Renderer().render_digest(build_digest(s, [story], r, "digest", T0), "slack").body
    for body in (alert, digest):
        slack = _slack_text(body)
        assert not SLACK_ESCAPE.search(slack), slack
        shown = slack.replace(WORD_JOINER, "")
        assert ("ICE ∗raids∗ in New_York: _agents_ ~held~ ˋcodeˋ a\\b &amp; &lt;!here&gt; "
                "@channel") in shown, slack
        for inert in ("_agents_", "~held~", "@channel"):
            assert inert not in slack, (inert, slack)
    assert "America/New_York" in _visible_intro(_slack_text(digest))


def _visible_intro(slack: str) -> str:
    return slack.replace(WORD_JOINER, "").splitlines()[1]


# Issue 11 bug 7: a digest's chart counts its own stories on the day each was published.

def test_digest_chart_counts_its_stories_by_publication_day(db, matcher, smtp):
    busy = Recipient("busy", (Channel("b", smtp.url("busy@example.org")),))
    _store(db, matcher, [busy], [f"ICE agents detain {n} people" for n in range(31)], T0,
           prefix="old")
    desk = Recipient("desk", (Channel("m", smtp.url()),), mode="digest", schedule="0 8 * * *")
    _story(db, matcher, [desk], "ICE agents detain 2 workers", "Two were held.", T0,
           T0 - timedelta(days=3), "a")
    _story(db, matcher, [desk], "ICE agents detain 3 workers", "Three were held.", T0,
           T0, "b")
    assert _outbox(db, [desk]).send_digest("desk", T0).messages == 1
    html = _mail(smtp).get_body(preferencelist=("html",)).get_content()
    counts = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', html)]
    assert counts == [0, 0, 0, 1, 0, 0, 1], html
    assert "on the day it was published" in html


def test_flood_chart_matches_its_story_count(db, matcher, smtp):
    r = Recipient("desk", (Channel("m", smtp.url()),), max_per_hour=1)
    _store(db, matcher, [r], [f"ICE agents detain {n} people" for n in range(27)], T0)
    _store(db, matcher, [r], ["ICE agents detain 99 people"], T0, prefix="other")
    with db.session() as s:
        s.execute(update(Delivery).where(Delivery.story.has(Story.link.like("%/other/%")))
                  .values(state="sent"))
    assert _outbox(db, [r]).deliver_due(T0).messages == 1
    assert _mail(smtp)["Subject"].startswith("27 stories")
    html = _mail(smtp).get_body(preferencelist=("html",)).get_content()
    counts = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', html)]
    assert counts[-1] == 27 and sum(counts) == 27, counts


# Alert wording through the real path: the lede, the subscriber's time zone.

def test_alert_shows_the_lede_and_local_time_when_the_match_is_in_the_title(db, matcher,
                                                                              webhook):
    r = Recipient("hooks", (Channel("c1", webhook.url),), timezone="America/Chicago")
    summary = ("U.S. Immigration and Customs Enforcement agents detained 40 people at three "
               "sites on Tuesday. Officials declined to comment.")
    _story(db, matcher, [r], "ICE agents detain dozens in early-morning raids", summary, T0,
           T0 - timedelta(hours=3), "lede")
    assert _outbox(db, [r]).deliver_due(T0).messages == 1
    text = webhook.received[0]["message"]
    assert "ICE, in the title: «ICE agents» detain dozens in early-morning raids" in text
    assert ("\nU.S. Immigration and Customs Enforcement agents detained 40 people at three "
            "sites on Tuesday.\n") in text and "Officials declined" not in text
    assert "published Fri 27 Nov 2026, 03:00 CST" in text, text
    assert "Read the story: https://news.example/lede" in text
