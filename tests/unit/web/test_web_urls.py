"""Watchlist names in URLs, unknown names, bad parameters, Host pinning and security headers.

A real Daemon's app served by uvicorn on loopback, over SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import lxml.etree
import lxml.html
import pytest
from sqlalchemy import select

from monitor.pipeline.prepare import prepare
from monitor.pipeline.store import store_entries
from monitor.service.daemon import Daemon
from monitor.service.runtime import load_runtime
from monitor.sources.entry import Entry, entry_key
from monitor.web import HttpServer, create_app
from storage import Feed, Hit
from tests.support.daemon import daemon_config
from tests.support.helpers import WATCHLISTS, run_cli
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.servers import free_port
from tests.unit.web.test_web_app import Client

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = 'Jails/Prisons? #1 & 100% "co"'
HOSTILE_WATCHLIST = f"""name = '{HOSTILE}'

[[entities]]
name = "Stonegate"
aliases = ["Stonegate Holdings"]
"""
PUBLISHED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
KNOWN = f"Amazon, CoreCivic, GEO Group, ICE, {HOSTILE}, Wayfair"


def _entry(guid: str, title: str, link: str) -> Entry:
    return Entry(entry_key(guid, link, title, ""), guid, link, title, "", "", PUBLISHED)


def _store_story(daemon: Daemon) -> None:
    """One story in two outlets (same link): Gazette first, Courier as its second source."""
    rt = daemon.rt
    title = "Stonegate Holdings and GEO Group win new detention contract"
    for url, name in [("https://gazette.example/rss", "Gazette"),
                      ("https://courier.example/rss", "Courier")]:
        with rt.db.session() as s:
            feed = Feed(url=url, name=name)
            s.add(feed)
            s.flush()
            store_entries(s, feed, prepare(
                [_entry(name, title, "https://news.example/stonegate?x=1")], rt.matcher),
                rt.config.subscribers)


def _serve(tmp_path: Path, storage_url: str, http_extra: str = ""
           ) -> Iterator[tuple[Daemon, Client]]:
    watchlists = tmp_path / "watchlists"
    shutil.copytree(WATCHLISTS, watchlists)
    (watchlists / "hostile.toml").write_text(HOSTILE_WATCHLIST, encoding="utf-8")
    config = daemon_config(tmp_path, [("http://127.0.0.1:9/feed.xml", "1h")], 8080,
                           storage_url, watchlists, http_extra=http_extra)
    run_cli("db", "upgrade", "--config", str(config))
    daemon = Daemon(load_runtime(config))
    _store_story(daemon)
    port = free_port()
    server = HttpServer(create_app(daemon), "127.0.0.1", port)
    server.start()
    yield daemon, Client(f"http://127.0.0.1:{port}")
    server.stop()
    daemon.rt.close()


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[Daemon, Client]]:
    yield from _serve(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")


@pytest.fixture
def served_any(tmp_path, any_url) -> Iterator[tuple[Daemon, Client]]:  # noqa: F811
    yield from _serve(tmp_path, any_url)


def _alternates(page: str) -> dict[str, str]:
    doc = lxml.html.fromstring(page)
    return {link.get("title"): link.get("href")
            for link in doc.xpath('//link[@rel="alternate"][@type="application/atom+xml"]')}


def test_page_links_percent_encode_every_name_and_each_feed_answers(served):
    _, client = served
    page = client.get("/")
    assert page.status_code == 200, page.text[:500]
    links = _alternates(page.text)
    assert links["GEO Group mentions"] == "/watchlists/GEO%20Group/hits.atom"
    assert links[f"{HOSTILE} mentions"] == f"/watchlists/{quote(HOSTILE, safe='')}/hits.atom"
    for title, href in links.items():
        assert " " not in href, href
        feed = client.get(href)
        assert feed.status_code == 200, (href, feed.text[:300])
        root = lxml.etree.fromstring(feed.content)
        assert root.findtext(f"{ATOM}title") == title + " — ice-monitor"
        self_link = root.find(f"{ATOM}link[@rel='self']").get("href")
        assert self_link == href
        assert " " not in root.findtext(f"{ATOM}id")
    hostile = lxml.etree.fromstring(client.get(links[f"{HOSTILE} mentions"]).content)
    assert [e.findtext(f"{ATOM}title") for e in hostile.iter(f"{ATOM}entry")] == [
        "Stonegate Holdings and GEO Group win new detention contract"]


def test_names_in_urls_are_case_insensitive(served):
    _, client = served
    feed = client.get("/watchlists/geo%20GROUP/hits.atom")
    assert feed.status_code == 200
    root = lxml.etree.fromstring(feed.content)
    assert root.findtext(f"{ATOM}title") == "GEO Group mentions — ice-monitor"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "/watchlists/GEO%20Group/hits.atom"
    api = client.get("/api/hits?watchlist=" + quote(HOSTILE.upper(), safe=""))
    assert api.status_code == 200
    assert [h["watchlist"] for h in api.json()["hits"]] == [HOSTILE]
    page = client.get("/?watchlist=" + quote(HOSTILE.lower(), safe=""))
    assert page.status_code == 200
    rows = lxml.html.fromstring(page.text).xpath('//table[@id="hits"]/tbody/tr')
    assert len(rows) == 1


def test_unknown_watchlist_is_404_naming_the_known_ones(served):
    _, client = served
    for path in ["/?watchlist=Nope", "/api/hits?watchlist=Nope", "/watchlists/Nope/hits.atom"]:
        answer = client.get(path)
        assert answer.status_code == 404, path
        text = (lxml.html.fromstring(answer.text).text_content() if path.startswith("/?")
                else answer.json()["error"])
        assert f"no watchlist named 'Nope'; known: {KNOWN}" in text, path


def test_hits_cli_refuses_an_unknown_watchlist_naming_the_known_ones(served):
    daemon, _ = served
    config = str(daemon.rt.config.path)
    out = run_cli("hits", "--watchlist", "Nope", "--config", config)
    assert out.returncode == 2, out.stderr
    assert f"no watchlist named 'Nope'; known: {KNOWN}" in out.stderr
    early = run_cli("hits", "--since", "0001-01-01T00:00:00+01:00", "--config", config)
    assert early.returncode == 2 and "not an ISO date or time" in early.stderr, early.stderr
    ok = run_cli("hits", "--watchlist", "geo group", "--format", "json", "--config", config)
    assert ok.returncode == 0, ok.stderr
    assert [r["watchlist"] for r in json.loads(ok.stdout)] == ["GEO Group"]


def test_hits_show_publication_date_and_every_source(served):
    daemon, client = served
    hit = client.get("/api/hits?watchlist=GEO+Group").json()["hits"][0]
    assert hit["published_at"] == PUBLISHED.isoformat()
    assert hit["sources"] == [
        {"name": "Gazette", "link": "https://news.example/stonegate?x=1"},
        {"name": "Courier", "link": "https://news.example/stonegate?x=1"}]
    assert hit["source"] == "Gazette"  # the old field stays

    config = str(daemon.rt.config.path)
    table = run_cli("hits", "--watchlist", "GEO Group", "--config", config)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()[:2]
    assert "published" in header.split() and "sources" in header.split()
    assert "2026-11-20 09:30" in row and "Gazette, Courier" in row

    as_json = run_cli("hits", "--watchlist", "GEO Group", "--format", "json", "--config", config)
    [record] = json.loads(as_json.stdout)
    assert (record["published_at"], record["sources"]) == (hit["published_at"], hit["sources"])

    page = lxml.html.fromstring(client.get("/?watchlist=GEO%20Group").text)
    cells = page.xpath('//table[@id="hits"]/tbody/tr[1]/td')
    text = " ".join(c.text_content() for c in cells)
    assert "2026-11-20" in text and "Gazette" in text and "Courier" in text


def test_a_watchlist_only_in_stored_hits_is_still_known(served):
    """A watchlist removed from the config keeps its history: its name is still accepted."""
    daemon, client = served
    with daemon.rt.db.session() as s:
        story_id = s.scalar(select(Hit.story_id))
        s.add(Hit(story_id=story_id, watchlist="Retired", entity="Old", matched="x"))
    assert [h["watchlist"] for h in client.get("/api/hits?watchlist=RETIRED").json()["hits"]] == [
        "Retired"]
    assert "Retired" in client.get("/api/hits?watchlist=Nope").json()["known"]


BAD_PARAMETERS = [
    "/api/hits?since=0001-01-01T00:00:00%2B01:00",
    "/api/hits?since=9999-12-31T23:59:59-05:00",
    "/api/hits?entity=%00",
    "/api/hits?watchlist=%00",
    "/api/hits?entity=Stonegate%E2%80%AE",      # U+202E: a bidi override reorders what follows
    "/?watchlist=ICE%E2%81%A6",                 # U+2066: a bidi isolate
    "/api/hits?limit=0",
    "/?watchlist=%00",
    "/watchlists/%00/hits.atom",
]


def test_every_bad_parameter_is_a_400_on_every_database(served_any):
    _, client = served_any
    for path in BAD_PARAMETERS:
        answer = client.get(path)
        expected = 404 if path.startswith("/watchlists/") else 400
        assert answer.status_code == expected, (path, answer.status_code, answer.text[:300])
    assert client.get("/api/hits?entity=Stonegate").json()["count"] == 1


def test_a_forged_host_never_reaches_urls(served):
    _, client = served
    forged = {"Host": "evil.example"}
    for path in ["/", "/watchlists/ICE/hits.atom", "/watchlists/GEO%20Group/hits.atom"]:
        answer = client.get(path, headers=forged)
        assert answer.status_code == 200
        assert "evil.example" not in answer.text, path


def test_public_url_pins_absolute_urls(tmp_path):
    served = _serve(tmp_path, f"sqlite:///{tmp_path / 'm.db'}",
                    http_extra='public_url = "https://monitor.example.org/ice/"')
    _, client = next(served)
    try:
        links = _alternates(client.get("/", headers={"Host": "evil.example"}).text)
        assert links["GEO Group mentions"] == (
            "https://monitor.example.org/ice/watchlists/GEO%20Group/hits.atom")
        feed = lxml.etree.fromstring(client.get("/watchlists/GEO%20Group/hits.atom",
                                                headers={"Host": "evil.example"}).content)
        assert feed.findtext(f"{ATOM}id") == links["GEO Group mentions"]
        assert feed.find(f"{ATOM}link[@rel='self']").get("href") == links["GEO Group mentions"]
        assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == (
            "https://monitor.example.org/ice/")
    finally:
        served.close()


def test_page_sends_security_headers_and_a_csp_that_only_runs_its_own_script(served):
    _, client = served
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"]
               .split(";") if part.strip())
    assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=_-]{16,})'", csp["script-src"]).group(1)
    scripts = lxml.html.fromstring(page.text).xpath("//script")
    assert scripts and all(s.get("nonce") == nonce for s in scripts)
    assert client.get("/").headers["content-security-policy"] != page.headers[
        "content-security-policy"], "the nonce must change with every response"
    for path in ["/api/hits", "/watchlists/ICE/hits.atom", "/healthz"]:
        assert client.get(path).headers["x-content-type-options"] == "nosniff", path
