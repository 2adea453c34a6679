"""Read the config file through its schema: every problem is collected with file and line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.config.problems import InvalidFiles, Problem, read_toml
from monitor.config.records import RecordsConfig, check_records
from monitor.config.schema import ConfigReader, Table
from monitor.config.search import SearchConfig
from monitor.config.sections import (
    Config,
    DeliveryConfig,
    EvidenceConfig,
    FeedConfig,
    HttpConfig,
    PollingConfig,
    StorageConfig,
    TrendsConfig,
    WatchlistsConfig,
)
from monitor.config.subscribers import SubscriberConfig

DEFAULT_CONFIG = "config.toml"
NO_CONFIG = ("config file not found: pass --config PATH or set MONITOR_CONFIG; to start, "
             "copy config.example.toml to config.toml and edit it")

STORAGE = Table("storage", StorageConfig)
WATCHLISTS = Table("watchlists", WatchlistsConfig)
POLLING = Table("polling", PollingConfig)
DELIVERY = Table("delivery", DeliveryConfig)
FEEDS = Table("feeds", FeedConfig, noun="feed", array_hint=" ([[feeds]])")
SUBSCRIBERS = Table("subscribers", SubscriberConfig, noun="subscriber")
HTTP = Table("http", HttpConfig)
RECORDS = Table("records", RecordsConfig, noun="records source", array_hint=" ([[records]])")
TRENDS = Table("trends", TrendsConfig)
EVIDENCE = Table("evidence", EvidenceConfig)
SEARCH = Table("search", SearchConfig, noun="search", array_hint=" ([[search]])")
# in reading order
TABLES = (STORAGE, WATCHLISTS, POLLING, DELIVERY, FEEDS, SUBSCRIBERS, HTTP, SEARCH, RECORDS,
          TRENDS, EVIDENCE)

Names = Callable[[Path], set[str] | None]  # the names defined in a watchlists folder, or None


def resolve_config_path(cli_value: str | None) -> Path:
    """``--config`` wins, then ``$MONITOR_CONFIG``, then ``./config.toml``."""
    return Path(cli_value or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def resolve_storage_url(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against the config's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix):]
        if rest and rest != ":memory:" and not rest.startswith(":"):
            return prefix + str((base / rest).resolve())
    return url


def read_config(reader: ConfigReader, raw: dict[str, Any], watchlist_names: Names,
                entity_names: Names | None) -> Config:
    """Every table read through its schema; subscribers' names checked against the watchlists."""
    reader.unknown_keys(raw, [t.name for t in TABLES], 0,
                        lambda name, hint: f"unknown key {name!r} in the config{hint}")
    storage: StorageConfig = STORAGE.read(reader, raw)
    watchlists_dir = (reader.base / WATCHLISTS.read(reader, raw).dir).resolve()
    polling: PollingConfig = POLLING.read(reader, raw)
    delivery = DELIVERY.read(reader, raw)
    reader.known_watchlists = watchlist_names(watchlists_dir)
    reader.known_entities = entity_names(watchlists_dir) if entity_names else None
    feeds = FEEDS.read_all(reader, raw, defaults={"interval": polling.interval})
    subscribers = [s.recipient() for s in SUBSCRIBERS.read_all(reader, raw)]
    http = HTTP.read(reader, raw)
    records = RECORDS.read_all(reader, raw)
    check_records(reader, raw, polling.contact)
    trends = TRENDS.read(reader, raw)
    evidence = EVIDENCE.read(reader, raw)
    searches = SEARCH.read_all(reader, raw)
    return Config(
        path=reader.path,
        storage_url=resolve_storage_url(storage.url, reader.base),
        watchlists_dir=watchlists_dir,
        feeds=tuple(feeds),
        subscribers=tuple(subscribers),
        polling=polling,
        delivery=delivery,
        http=http,
        records=tuple(records),
        warnings=tuple(reader.warnings),
        retention_days=storage.retention_days,
        evidence=evidence,
        secret_values=tuple(reader.secrets),
        trends=trends,
        searches=tuple(searches),
    )


def check_config(path: Path, watchlist_names: Names | None = None,
                 entity_names: Names | None = None) -> tuple[Config | None, list[Problem]]:
    """Parse ``path``; return the config (None if unreadable) and every problem found.

    ``watchlist_names(dir)`` returns the set of names defined there (None: don't check);
    ``entity_names(dir)`` likewise for entity names.
    """
    path = Path(path)
    read = read_toml(path, "config", missing=NO_CONFIG)
    if isinstance(read, Problem):
        return None, [read]
    text, raw = read
    reader = ConfigReader(path, text)
    config = read_config(reader, raw, watchlist_names or (lambda _d: None), entity_names)
    return config, reader.problems


def load_config(path: Path, watchlist_names: Names | None = None) -> Config:
    """Parse and validate ``path``; raise InvalidFiles listing every problem."""
    config, problems = check_config(path, watchlist_names)
    if problems or config is None:
        raise InvalidFiles(problems)
    return config
