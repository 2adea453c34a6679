"""``monitor backtest`` against a changed (draft) watchlist folder, through the real CLI: hits
gained and lost, the alerts a subscriber would have had, and ``--apply`` alerting nobody."""

from __future__ import annotations

import json
import shutil

from tests.support.delivery_helpers import config, last_json
from tests.support.helpers import WATCHLISTS, run_cli
from tests.unit.query.test_subscriber_routing import CAMPAIGN, feed

PALANTIR = '''name = "Palantir"

[[entities]]
name = "Palantir"
aliases = ["Palantir Technologies"]
'''


def draft(tmp_path):
    """The shipped watchlists, plus Palantir, and Amazon excluding "Amazon Prime Day"."""
    folder = tmp_path / "draft"
    shutil.copytree(WATCHLISTS, folder)
    (folder / "palantir.toml").write_text(PALANTIR, encoding="utf-8")
    amazon = folder / "amazon.toml"
    text = amazon.read_text(encoding="utf-8")
    assert "exclude_phrases = [\n" in text
    amazon.write_text(text.replace("exclude_phrases = [\n",
                                   'exclude_phrases = [\n    "Amazon Prime Day",\n', 1),
                      encoding="utf-8")
    return folder


def backtest(cfg, *args: str) -> dict:
    out = run_cli("backtest", "--format", "json", *args, "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_backtest_shows_gains_losses_and_alerts_then_applies_without_alerting(
        tmp_path, feed_server, webhook, storage_url):
    palantir = ("<item><title>Palantir Technologies builds ICE case software</title>"
                "<link>https://news.example/palantir</link><guid>palantir</guid></item>")
    body = feed().replace(b"</channel>", palantir.encode() + b"</channel>")
    url = feed_server.add("/news.xml", body)
    cfg = config(tmp_path, [url], [{"name": "campaign", "notify": [webhook.url],
                                    "watchlists": ["Amazon"], "query": CAMPAIGN}], storage_url)
    assert last_json(run_cli("poll-once", "--json", "--config", str(cfg)).stdout)[
        "notifications_sent"] == 1

    same = backtest(cfg)
    assert same["stories"] == 5 and same["gained"] == [] and same["lost"] == []

    changed = backtest(cfg, "--watchlists", str(draft(tmp_path)))
    assert changed["stories"] == 5
    assert [(c["title"][:8], c["watchlist"], c["entity"]) for c in changed["gained"]] == [
        ("Palantir", "Palantir", "Palantir")]
    assert [(c["title"][:16], c["entity"]) for c in changed["lost"]] == [
        ("Amazon Prime Day", "Amazon")]
    assert set(changed["gained"][0]) == {"story_id", "title", "watchlist", "entity"}

    alerts = backtest(cfg, "--subscriber", "campaign")
    assert [a["title"][:20] for a in alerts["alerts"]] == ["Amazon Web Services "]
    wider = backtest(cfg, "--query", "ICE AND NOT Amazon")
    assert sorted(a["title"][:8] for a in wider["alerts"]) == ["ICE agen", "ICE deti",
                                                              "Palantir"]

    table = run_cli("backtest", "--watchlists", str(draft(tmp_path / "t")), "--config", str(cfg))
    assert "5 stories re-matched" in table.stdout and "+ Palantir Technologies" in table.stdout

    applied = backtest(cfg, "--watchlists", str(draft(tmp_path / "a")), "--apply")
    assert applied["applied"] == 1
    hits = json.loads(run_cli("hits", "--entity", "Palantir", "--format", "json",
                              "--config", str(cfg)).stdout)
    assert [h["title"][:8] for h in hits] == ["Palantir"]
    assert last_json(run_cli("poll-once", "--json", "--config", str(cfg)).stdout)[
        "notifications_sent"] == 0
    assert run_cli("deliveries", "--state", "pending", "--format", "json",
                   "--config", str(cfg)).stdout.strip() == "[]"
    assert len(webhook.received) == 1


def test_backtest_refuses_a_bad_query_with_its_column(tmp_path, storage_url):
    cfg = config(tmp_path, [], [], storage_url)
    out = run_cli("backtest", "--query", "ICE NEAR/x raid", "--config", str(cfg))
    assert out.returncode == 2 and "--query: column 5: expected NEAR/n" in out.stderr


def test_forked_workers_find_what_one_process_finds(db, monkeypatch):
    from monitor.config.watchlists import load_watchlists
    from monitor.matching import Matcher
    from monitor.query import backtest as module
    from storage.stories import insert_stories

    titles = ["ICE agents detain 12 at a plant", "Ice storm closes schools",
              "GEO Group opens detention center", "Amazon Web Services outage"] * 5
    with db.session() as s:
        insert_stories(s, [{"title": t, "summary": "", "link": f"https://n.example/{i}",
                            "canonical_url": f"https://n.example/{i}"}
                           for i, t in enumerate(titles)])
    matcher = Matcher(load_watchlists(WATCHLISTS))
    alone = module.backtest(db, matcher, None, workers=1)
    monkeypatch.setattr(module, "POOL_FROM", 0)
    monkeypatch.setattr("storage.backtest.PAGE", 3)
    pooled = module.backtest(db, matcher, None, workers=2)
    assert pooled.stories == alone.stories == 20
    assert pooled.gained == alone.gained and len(alone.gained) == 15
    assert {(c.title[:5], c.entity) for c in alone.gained} == {
        ("ICE a", "ICE"), ("GEO G", "GEO Group"), ("Amazo", "Amazon")}
