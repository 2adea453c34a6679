"""Helpers for delivery tests: feeds of N watched stories, configs with subscriber options."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Feed
from tests.support.helpers import ROOT, WATCHLISTS, _toml_str

TOPICS = ["ICE agents detain {n} workers at a meatpacking plant",
          "Amazon Web Services renews contract {n} with Immigration and Customs Enforcement",
          "GEO Group opens detention center number {n}",
          "CoreCivic faces lawsuit {n} over detention conditions"]


def rss(count: int, prefix: str = "story", topics: list[str] | None = None) -> bytes:
    """An RSS feed of ``count`` watched stories with distinct links."""
    topics = topics or TOPICS[:1]
    items = []
    for n in range(count):
        title = topics[n % len(topics)].format(n=n + 1)
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://news.example/{prefix}/{n}</link><guid>{prefix}-{n}</guid>"
            f"<description>{escape(title)}. Officials declined to comment.</description></item>")
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>Loopback News</title>"
            "<link>https://news.example/</link>" + "".join(items) + "</channel></rss>").encode()


def news_feed(session: Session) -> Feed:
    """The one "Loopback News" feed that tests store their stories under."""
    feed = session.scalar(select(Feed).where(Feed.url == "https://news.example/rss"))
    if feed is None:
        feed = Feed(url="https://news.example/rss", name="Loopback News")
        session.add(feed)
        session.flush()
    return feed


def value(v) -> str:
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return str(v)


def config(directory: Path, feeds: list[str], subscribers: list[dict], storage_url: str,
           delivery: dict | None = None) -> Path:
    """A config.toml with arbitrary subscriber and [delivery] keys."""
    lines = ["[storage]", f"url = {_toml_str(storage_url)}", "[watchlists]",
             f"dir = {_toml_str(str(WATCHLISTS))}", "[polling]", 'timeout = "10s"']
    if delivery:
        lines.append("[delivery]")
        lines += [f"{k} = {value(v)}" for k, v in delivery.items()]
    for url in feeds:
        lines += ["[[feeds]]", f"url = {_toml_str(url)}", 'interval = "1h"']
    for sub in subscribers:
        lines.append("[[subscribers]]")
        lines += [f"{k} = {value(v)}" for k, v in sub.items()]
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_daemon(config_path: Path, log: Path) -> subprocess.Popen:
    """``monitor run`` as a real child process, logging to ``log``."""
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config_path)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])
