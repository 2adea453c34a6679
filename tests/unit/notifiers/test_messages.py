"""Alert rendering per target kind, and the redaction of secrets in delivery errors."""

from __future__ import annotations

from datetime import UTC, datetime

from apprise import NotifyFormat

from notifiers.channels import kind_of
from notifiers.messages import Alert, AlertHit, Renderer
from notifiers.sender import redact, secret_parts

ALERT = Alert(
    title="ICE & Amazon <contract> renewed",
    link="https://news.example/aws-ice?id=1&x=2",
    source="Loopback Ledger",
    hits=(AlertHit("ICE", "ICE", "ICE", "data used by ICE and other agencies", "summary"),
          AlertHit("Amazon", "Amazon", "Amazon Web Services", "Amazon Web Services renews",
                   "title")),
    published=datetime(2026, 11, 28, 11, 0, tzinfo=UTC),
    other_sources=("Wire",),
)


def test_kinds_by_scheme():
    assert kind_of("slack://a/b/c") == "slack"
    assert kind_of("mailtos://u:p@host?to=x@y") == "email"
    assert kind_of("discord://id/token") == "markdown"
    assert kind_of("json://127.0.0.1/x") == "text"


def test_slack_message_is_markdown_with_link_and_highlight():
    msg = Renderer().render(ALERT, "slack")
    assert msg.body_format == NotifyFormat.MARKDOWN
    assert msg.title == "[ICE, Amazon] ICE & Amazon <contract> renewed"
    assert ("[ICE & Amazon \\<contract\\> renewed](<https://news.example/aws-ice?id=1&x=2>)"
            in msg.body)
    assert "data used by **ICE** and other agencies" in msg.body
    assert "Source: Loopback Ledger (also: Wire)" in msg.body


def test_email_is_escaped_html_with_marked_context():
    msg = Renderer().render(ALERT, "email")
    assert msg.body_format == NotifyFormat.HTML
    assert "ICE &amp; Amazon &lt;contract&gt; renewed" in msg.body
    assert 'href="https://news.example/aws-ice?id=1&amp;x=2"' in msg.body
    assert "data used by <mark>ICE</mark> and other agencies" in msg.body
    assert "Sat 28 Nov 2026, 11:00 UTC" in msg.body


def test_text_message_names_everything():
    body = Renderer().render(ALERT, "text").body
    for part in ("ICE, Amazon: ICE & Amazon <contract> renewed", "Source: Loopback Ledger",
                 "«Amazon Web Services» renews", "https://news.example/aws-ice?id=1&x=2"):
        assert part in body


def test_admin_templates_override_packaged_ones(tmp_path):
    (tmp_path / "alert.txt.j2").write_text("custom: {{ alert.title }}")
    assert Renderer(tmp_path).render(ALERT, "text").body == "custom: " + ALERT.title + "\n"


def test_long_context_is_trimmed():
    hit = AlertHit("ICE", "ICE", "ICE", "x " * 400 + "ICE", "content")
    body = Renderer().render(Alert("t", None, "s", (hit,)), "text").body
    assert "…" in body and len(body) < 600


def test_tokens_inside_rewritten_urls_are_redacted():
    url = "slack://T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc/#alerts"
    line = "Slack POST URL: https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"
    clean = redact(line, secret_parts(url))
    assert "T0AAAAAAA" not in clean and "cccccccc" not in clean
    mail = "mailtos://user:hunter2secret@smtp.example.org?to=a@b.org"
    assert "hunter2secret" not in redact("login failed for hunter2secret", secret_parts(mail))


WORDED = Alert(
    title="ICE agents detain dozens in early-morning raids",
    link="https://gazette.example/2026/11/ice-0", source="Gazette",
    hits=(AlertHit("ICE", "ICE", "ICE agents", "ICE agents detain dozens in early-morning raids",
                   "title"),
          AlertHit("Amazon", "Amazon Web Services", "AWS",
                   "the agency's data runs on AWS servers", "summary")),
    published=datetime(2026, 11, 28, 11, 0, tzinfo=UTC),
    lede="Federal agents detained 40 people at three sites on Tuesday.",
    timezone="America/Chicago")


def test_alerts_are_worded_as_a_person_would_on_every_target():
    renderer = Renderer()
    text = renderer.render(WORDED, "text").body
    assert "ICE, in the title: «ICE agents» detain dozens" in text
    assert "Amazon Web Services (Amazon), in the summary: " in text
    assert "ICE / ICE" not in text and "(title)" not in text
    assert "Federal agents detained 40 people at three sites on Tuesday." in text
    for kind in ("markdown", "slack", "email"):
        body = renderer.render(WORDED, kind).body
        assert "ICE, in the title" in body and "ICE / ICE" not in body, kind
        assert "Federal agents detained 40 people" in body, kind
        assert "(title)" not in body and "ICE: ICE" not in body, kind


def test_times_are_in_the_subscribers_time_zone_on_every_target():
    for kind in ("text", "markdown", "slack", "email"):
        body = Renderer().render(WORDED, kind).body
        assert "Sat 28 Nov 2026, 05:00 CST" in body, (kind, body)
        assert "11:00" not in body, kind


def test_snippets_are_cut_at_word_boundaries():
    words = [f"word{n:03d}" for n in range(120)]
    context = " ".join(words[:60] + ["ICE"] + words[60:])
    hit = AlertHit("ICE", "ICE", "ICE", context, "content")
    for kind, mark in (("text", "«ICE»"), ("markdown", "**ICE**"), ("email", "<mark>ICE</mark>")):
        body = Renderer().render(Alert("t", None, "s", (hit,)), kind).body
        line = next(ln for ln in body.splitlines() if mark in ln and "word" in ln)
        snippet = line[line.index("…"): line.rindex("…") + 1]
        inner = snippet.strip("…").replace(mark, "ICE").split()
        assert inner and all(w in words or w == "ICE" for w in inner), (kind, snippet)
        assert len(snippet) <= 290
