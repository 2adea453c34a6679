"""Subscribers' ``query`` and ``languages`` end to end: a real feed server, ``poll-once``, and
alerts posted through apprise ``json://`` to real webhook receivers."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from tests.support.delivery_helpers import config, last_json
from tests.support.helpers import run_cli
from tests.support.servers import WebhookReceiver

CAMPAIGN = 'Amazon AND (ICE OR "Homeland Security" OR detention*) AND NOT "Prime Day"'
STORIES = [
    ("contract", "Amazon Web Services renews its cloud contract with ICE",
     "The deal keeps Immigration and Customs Enforcement data on Amazon servers."),
    ("primeday", "Amazon Prime Day deals: ICE agents' favourite boots are half price",
     "Shoppers lined up for Prime Day bargains across the country."),
    ("redada", "ICE detiene a decenas de trabajadores en una redada en Texas",
     "Los agentes de inmigración arrestaron a los empleados de una planta empacadora."),
    ("raid", "ICE agents detain dozens of workers in a raid in Texas",
     "Immigration officers arrested the employees of a meatpacking plant on Tuesday."),
]


def feed() -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{key}</link>"
        f"<guid>{key}</guid><description>{escape(summary)}</description></item>"
        for key, title, summary in STORIES)
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>Loopback News</title>"
            f"<link>https://news.example/</link>{items}</channel></rss>").encode()


@pytest.fixture
def receivers():
    hooks = {name: WebhookReceiver().start() for name in ("campaign", "spanish", "english")}
    yield hooks
    for hook in hooks.values():
        hook.stop()


def titles(hook: WebhookReceiver) -> set[str]:
    return {key for post in hook.received for key, title, _ in STORIES
            if title in post["title"] + post["message"]}


def test_query_and_languages_decide_who_is_alerted(tmp_path, feed_server, receivers,
                                                  storage_url):
    url = feed_server.add("/news.xml", feed())
    cfg = config(tmp_path, [url], [
        {"name": "campaign", "notify": [receivers["campaign"].url], "watchlists": ["Amazon"],
         "query": CAMPAIGN},
        {"name": "spanish", "notify": [receivers["spanish"].url], "watchlists": ["ICE"],
         "languages": ["es"]},
        {"name": "english", "notify": [receivers["english"].url], "watchlists": ["ICE"],
         "languages": ["en"], "query": "ICE NEAR/3 raid OR detain*"},
    ], storage_url)
    done = run_cli("poll-once", "--json", "--config", str(cfg))
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert summary["deliveries_queued"] == 3 and summary["notifications_sent"] == 3

    assert titles(receivers["campaign"]) == {"contract"}  # Prime Day dropped by the query
    assert titles(receivers["spanish"]) == {"redada"}
    assert titles(receivers["english"]) == {"raid"}  # English ICE stories, query kept one

    listed = json.loads(run_cli("hits", "--format", "json", "--config", str(cfg)).stdout)
    languages = {h["link"].rsplit("/", 1)[1]: h["language"] for h in listed}
    assert languages == {"contract": "en", "primeday": "en", "redada": "es", "raid": "en"}


def test_hits_query_filters_stored_hits_and_refuses_a_bad_query(tmp_path, feed_server,
                                                               storage_url):
    url = feed_server.add("/news.xml", feed())
    cfg = config(tmp_path, [url], [], storage_url)
    assert run_cli("poll-once", "--config", str(cfg)).returncode == 0

    def stories(query: str) -> set[str]:
        out = run_cli("hits", "--query", query, "--format", "json", "--config", str(cfg))
        assert out.returncode == 0, out.stderr
        return {h["link"].rsplit("/", 1)[1] for h in json.loads(out.stdout)}

    assert stories(CAMPAIGN) == {"contract"}
    assert stories("ICE AND NOT Amazon") == {"redada", "raid"}
    assert stories('redada OR "meatpacking plant"') == {"redada", "raid"}
    bad = run_cli("hits", "--query", "Amazon AND (ICE", "--config", str(cfg))
    assert bad.returncode == 2
    assert "--query: column 16: expected ')' to close the '(' at column 12" in bad.stderr
