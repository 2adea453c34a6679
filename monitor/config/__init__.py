"""Load and validate the daemon's TOML config; every problem is reported with file and line."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.config.durations import parse_duration
from monitor.config.problems import (
    InvalidFiles,
    LineFinder,
    Problem,
    did_you_mean,
    toml_syntax_problem,
)
from monitor.config.subscribers import SUBSCRIBER_KEYS, parse_subscriber_options
from notifiers.channels import DEFAULT_TIMEOUT, Channel, Recipient, channel_id

DEFAULT_CONFIG = "config.toml"
DEFAULT_INTERVAL = 900.0
NO_CONFIG = ("config file not found: pass --config PATH or set MONITOR_CONFIG; to start, "
             "copy config.example.toml to config.toml and edit it")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

_TOP_KEYS = {"storage", "watchlists", "feeds", "subscribers", "polling", "delivery", "http"}
_STORAGE_KEYS = {"url", "retention_days"}
_WATCHLISTS_KEYS = {"dir"}
_FEED_KEYS = {"url", "name", "interval"}
_SUBSCRIBER_KEYS = {"name", "notify", "watchlists"} | SUBSCRIBER_KEYS
_POLLING_KEYS = {"interval", "user_agent", "contact", "concurrency", "per_host", "timeout",
                 "max_bytes", "lease", "backlog"}
_DELIVERY_KEYS = {"retry_initial", "max_attempts", "lease", "templates_dir", "timeout"}
_HTTP_KEYS = {"listen", "token", "public_url", "max_connections", "header_timeout"}
DEFAULT_BACKLOG = 2 * 86400.0


@dataclass(frozen=True)
class FeedConfig:
    """A feed to poll; ``interval`` in seconds; without a ``name`` the feed's own title is used."""

    url: str
    name: str | None
    interval: float


@dataclass(frozen=True)
class PollingConfig:
    """How politely and how hard feeds are fetched."""

    interval: float = DEFAULT_INTERVAL
    user_agent: str = "ice-monitor/0.1"
    contact: str = ""
    concurrency: int = 50
    per_host: int = 4
    timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    lease: float | None = None  # how long a worker owns the feeds it claimed; None: derived
    backlog: float | None = DEFAULT_BACKLOG  # first poll: older entries are not alerted; None: off


@dataclass(frozen=True)
class DeliveryConfig:
    """Retry policy for failed deliveries, the in-flight lease, admin templates."""

    retry_initial: float = 30.0
    max_attempts: int = 10
    lease: float = 300.0
    templates_dir: Path | None = None
    timeout: float = DEFAULT_TIMEOUT  # how long a target may take to answer one message


@dataclass(frozen=True)
class HttpConfig:
    """The daemon's HTTP endpoint: off when ``listen`` is None; ``token`` guards non-read-only."""

    listen: str | None = None
    token: str | None = None
    public_url: str | None = None  # absolute URLs (Atom ids, links) start here; else relative
    max_connections: int = 100  # open connections at once; beyond, a 503 and close
    header_timeout: float = 10.0  # a request head must arrive within this

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = (self.listen or "").rpartition(":")
        return host.strip("[]"), int(port)


@dataclass(frozen=True)
class Config:
    """A validated config; paths are absolute, env references expanded."""

    path: Path
    storage_url: str
    watchlists_dir: Path
    feeds: tuple[FeedConfig, ...]
    subscribers: tuple[Recipient, ...]
    polling: PollingConfig = field(default_factory=PollingConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    warnings: tuple[Problem, ...] = ()
    http: HttpConfig = field(default_factory=HttpConfig)
    retention_days: int | None = None

    def secrets(self) -> list[str]:
        """Every notify URL, the HTTP token and the database password (possibly from
        ``${VAR}``), so that log output can redact them."""
        from sqlalchemy.engine import make_url

        urls = [c.url for sub in self.subscribers for c in sub.channels]
        password = make_url(self.storage_url).password
        return urls + [s for s in (self.http.token, password) if s]


def resolve_config_path(cli_value: str | None) -> Path:
    """``--config`` wins, then ``$MONITOR_CONFIG``, then ``./config.toml``."""
    return Path(cli_value or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def expand_env(value: str) -> tuple[str, list[str]]:
    """Expand ``${VAR}`` references; return the result and the names that are unset."""
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            missing.append(name)
            return m.group(0)
        return os.environ[name]

    return _ENV_REF.sub(repl, value), missing


def resolve_storage_url(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against the config's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix):]
        if rest and rest != ":memory:" and not rest.startswith(":"):
            return prefix + str((base / rest).resolve())
    return url


class _Checker:
    """Collects problems while converting raw TOML into typed config objects."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = LineFinder(text)
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(str(self.path), line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(str(self.path), line, f"warning: {message}"))

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], line: int, where: str) -> None:
        for key in sorted(set(table) - allowed):
            self.error(self.lines.key(key, line),
                       f"unknown key {key!r} in {where}{did_you_mean(key, allowed)}")

    def table(self, raw: dict[str, Any], name: str) -> tuple[dict[str, Any], int]:
        value = raw.get(name, {})
        line = self.lines.table(name)
        if not isinstance(value, dict):
            self.error(self.lines.key(name), f"{name!r} must be a table")
            return {}, line
        return value, line

    def duration(self, table: dict[str, Any], key: str, line: int, default: float,
                 hint: str = "") -> float:
        """``hint`` ends the error message: what else the key accepts."""
        if key not in table:
            return default
        try:
            return parse_duration(table[key])
        except ValueError as exc:
            self.error(self.lines.key(key, line), f"{key}: {exc}{hint}")
            return default

    def integer(self, table: dict[str, Any], key: str, line: int, default: int) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.error(self.lines.key(key, line), f"{key} must be a positive integer")
            return default
        return value

    def string(self, table: dict[str, Any], key: str, line: int, default: str | None = None):
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            self.error(self.lines.key(key, line), f"{key} must be a string")
            return default
        return value


_DRIVER_INSTALL = {  # the project's extra installs psycopg (3), which "postgresql+psycopg://" names
    "psycopg": "pip install '.[postgres]'",
    "psycopg2": "pip install '.[postgres]'` and write the url as `postgresql+psycopg://…",
}


def _missing_driver(exc: ImportError) -> str:
    """Name the database driver that failed to import and the command that installs it."""
    package = (exc.name or str(exc)).split(".")[0]
    install = _DRIVER_INSTALL.get(package, f"pip install {package}")
    return (f"storage url needs the Python package {package!r}, which is not installed: "
            f"run `{install}`")


def _check_storage_url(url: str) -> str | None:
    """Why SQLAlchemy could not open ``url`` (unknown dialect, driver not installed), or None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect().import_dbapi()  # the driver, as create_engine imports it
    except (ArgumentError, ValueError):
        return "storage url is not an SQLAlchemy URL (e.g. sqlite:///data/monitor.db)"
    except NoSuchModuleError as exc:
        return f"storage url names an unknown database dialect: {exc}"
    except ImportError as exc:
        return _missing_driver(exc)
    return None


def _check_http_url(url: str) -> str | None:
    """Why ``url`` is not a usable feed URL, or None when it is fine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"feed url must start with http:// or https://, got {url!r}"
    if not parts.hostname:
        return f"feed url has no host: {url!r}"
    return None


def _check_notify_url(url: str) -> str | None:
    """Why apprise would not accept ``url`` (the URL itself is never echoed: it holds secrets)."""
    import apprise

    from notifiers.sender import apprise_said

    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not scheme:
        return "notify entry is not a URL (expected scheme://...)"
    with apprise_said():
        accepted = apprise.Apprise().add(url)
    return None if accepted else f"apprise does not accept this {scheme}:// URL"


def _parse_feeds(c: _Checker, raw: dict[str, Any], default_interval: float) -> list[FeedConfig]:
    feeds_raw = raw.get("feeds", [])
    if not isinstance(feeds_raw, list):
        c.error(c.lines.key("feeds"), "'feeds' must be an array of tables ([[feeds]])")
        return []
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for i, feed in enumerate(feeds_raw):
        line = c.lines.table("feeds", i)
        if not isinstance(feed, dict):
            c.error(line, "each feed must be a table")
            continue
        c.unknown_keys(feed, _FEED_KEYS, line, "[[feeds]]")
        url = c.string(feed, "url", line)
        if not url:
            c.error(line, "feed is missing 'url'")
            continue
        if reason := _check_http_url(url):
            c.error(c.lines.key("url", line), reason)
            continue
        if url in seen:
            c.error(c.lines.key("url", line), f"duplicate feed url {url!r}")
            continue
        seen.add(url)
        name = c.string(feed, "name", line) or None
        interval = c.duration(feed, "interval", line, default_interval)
        feeds.append(FeedConfig(url=url, name=name, interval=interval))
    return feeds


def _parse_subscribers(c: _Checker, raw: dict[str, Any], known_watchlists: set[str] | None,
                       known_entities: set[str] | None = None):
    subs_raw = raw.get("subscribers", [])
    if not isinstance(subs_raw, list):
        c.error(c.lines.key("subscribers"), "'subscribers' must be an array of tables")
        return []
    subs: list[Recipient] = []
    names: set[str] = set()
    for i, sub in enumerate(subs_raw):
        line = c.lines.table("subscribers", i)
        if not isinstance(sub, dict):
            c.error(line, "each subscriber must be a table")
            continue
        c.unknown_keys(sub, _SUBSCRIBER_KEYS, line, "[[subscribers]]")
        name = c.string(sub, "name", line)
        if not name:
            c.error(line, "subscriber is missing 'name'")
            continue
        if name in names:
            c.error(c.lines.key("name", line), f"duplicate subscriber name {name!r}")
        names.add(name)
        notify = _parse_notify(c, sub.get("notify", []), c.lines.key("notify", line), name)
        watchlists = sub.get("watchlists")
        wl_line = c.lines.key("watchlists", line)
        if watchlists is not None:
            if not isinstance(watchlists, list) or not all(isinstance(w, str) for w in watchlists):
                c.error(wl_line, "watchlists must be a list of watchlist names")
                watchlists = None
            elif known_watchlists is not None:
                for w in watchlists:
                    if w not in known_watchlists:
                        c.error(wl_line, f"subscriber {name!r} names unknown watchlist {w!r}"
                                         f"{did_you_mean(w, known_watchlists)}")
        subs.append(Recipient(
            name=name, channels=tuple(notify),
            watchlists=tuple(watchlists) if watchlists is not None else None,
            **parse_subscriber_options(c, sub, line, name, known_entities),
        ))
    return subs


def _parse_notify(c: _Checker, value: Any, line: int, sub_name: str) -> list[Channel]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        c.error(line, "notify must be a list of apprise URLs")
        return []
    channels: list[Channel] = []
    for n, template in enumerate(value, 1):
        url, missing = expand_env(template)
        if missing:
            c.warn(line, f"subscriber {sub_name!r} notify #{n} is disabled: environment "
                         f"variable(s) {', '.join(missing)} not set")
            continue
        if reason := _check_notify_url(url):
            c.error(line, f"subscriber {sub_name!r} notify #{n}: {reason}")
            continue
        channels.append(Channel(id=channel_id(template), url=url))
    return channels


def _templates_dir(c: _Checker, table: dict[str, Any], line: int, base: Path) -> Path | None:
    value = c.string(table, "templates_dir", line)
    if not value:
        return None
    path = (base / value).resolve()
    if not path.is_dir():
        c.error(c.lines.key("templates_dir", line), f"templates_dir is not a directory: {value}")
        return None
    return path


def _parse_http(c: _Checker, raw: dict[str, Any]) -> HttpConfig:
    """``[http]``: ``listen = "host:port"`` and an optional ``token`` (``${VAR}`` expanded)."""
    table, line = c.table(raw, "http")
    c.unknown_keys(table, _HTTP_KEYS, line, "[http]")
    listen = c.string(table, "listen", line)
    if listen is not None:
        host, sep, port = listen.rpartition(":")
        if not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
            c.error(c.lines.key("listen", line),
                    f"listen must be \"host:port\" (e.g. \"127.0.0.1:8080\"), got {listen!r}")
            listen = None
    token = c.string(table, "token", line)
    if token is not None:
        token, missing = expand_env(token)
        if missing or not token:
            why = (f"environment variable(s) {', '.join(missing)} not set" if missing
                   else "it is empty")
            c.warn(c.lines.key("token", line), f"http token is disabled: {why}")
            token = None
        elif len(token) < 16:
            c.error(c.lines.key("token", line), "http token must be at least 16 characters")
            token = None
    defaults = HttpConfig()
    return HttpConfig(
        listen=listen, token=token, public_url=_public_url(c, table, line),
        max_connections=c.integer(table, "max_connections", line, defaults.max_connections),
        header_timeout=c.duration(table, "header_timeout", line, defaults.header_timeout))


def _public_url(c: _Checker, table: dict[str, Any], line: int) -> str | None:
    """``[http] public_url``, ending in "/" so that paths join under it; None when absent."""
    url = c.string(table, "public_url", line)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        c.error(c.lines.key("public_url", line),
                "public_url must be an http:// or https:// URL without query or fragment "
                f"(e.g. \"https://monitor.example.org/\"), got {url!r}")
        return None
    return url if url.endswith("/") else url + "/"


def _parse(c: _Checker, raw: dict[str, Any], base: Path, watchlist_names,
           entity_names=None) -> Config:
    c.unknown_keys(raw, _TOP_KEYS, 0, "the config")
    storage, sline = c.table(raw, "storage")
    c.unknown_keys(storage, _STORAGE_KEYS, sline, "[storage]")
    url, missing = expand_env(c.string(storage, "url", sline, "sqlite:///data/monitor.db") or "")
    if missing:
        c.error(c.lines.key("url", sline), f"storage url: environment variable(s) "
                                           f"{', '.join(missing)} not set")
    elif reason := _check_storage_url(url):
        c.error(c.lines.key("url", sline), reason)
    wl, wline = c.table(raw, "watchlists")
    c.unknown_keys(wl, _WATCHLISTS_KEYS, wline, "[watchlists]")
    wl_dir = (base / (c.string(wl, "dir", wline, "watchlists") or "watchlists")).resolve()
    polling_raw, pline = c.table(raw, "polling")
    c.unknown_keys(polling_raw, _POLLING_KEYS, pline, "[polling]")
    defaults = PollingConfig()
    polling = PollingConfig(
        interval=c.duration(polling_raw, "interval", pline, defaults.interval),
        user_agent=c.string(polling_raw, "user_agent", pline, defaults.user_agent),
        contact=c.string(polling_raw, "contact", pline, defaults.contact),
        concurrency=c.integer(polling_raw, "concurrency", pline, defaults.concurrency),
        per_host=c.integer(polling_raw, "per_host", pline, defaults.per_host),
        timeout=c.duration(polling_raw, "timeout", pline, defaults.timeout),
        max_bytes=c.integer(polling_raw, "max_bytes", pline, defaults.max_bytes),
    )
    if "lease" in polling_raw:
        polling = replace(polling, lease=c.duration(polling_raw, "lease", pline, 0.0) or None)
    if str(polling_raw.get("backlog")).lower() == "off":
        polling = replace(polling, backlog=None)
    else:
        polling = replace(polling, backlog=c.duration(polling_raw, "backlog", pline,
                                                      DEFAULT_BACKLOG, hint=', or "off"'))
    retention = (c.integer(storage, "retention_days", sline, 1)
                 if "retention_days" in storage else None)
    delivery_raw, dline = c.table(raw, "delivery")
    c.unknown_keys(delivery_raw, _DELIVERY_KEYS, dline, "[delivery]")
    delivery_defaults = DeliveryConfig()
    delivery = DeliveryConfig(
        retry_initial=c.duration(delivery_raw, "retry_initial", dline,
                                 delivery_defaults.retry_initial),
        max_attempts=c.integer(delivery_raw, "max_attempts", dline,
                               delivery_defaults.max_attempts),
        lease=c.duration(delivery_raw, "lease", dline, delivery_defaults.lease),
        timeout=c.duration(delivery_raw, "timeout", dline, delivery_defaults.timeout),
        templates_dir=_templates_dir(c, delivery_raw, dline, base),
    )
    known = watchlist_names(wl_dir)
    known_entities = entity_names(wl_dir) if entity_names else None
    return Config(
        path=c.path,
        storage_url=resolve_storage_url(url, base),
        watchlists_dir=wl_dir,
        feeds=tuple(_parse_feeds(c, raw, polling.interval)),
        subscribers=tuple(_parse_subscribers(c, raw, known, known_entities)),
        polling=polling,
        delivery=delivery,
        http=_parse_http(c, raw),
        warnings=tuple(c.warnings),
        retention_days=retention,
    )


def check_config(path: Path, watchlist_names=None,
                 entity_names=None) -> tuple[Config | None, list[Problem]]:
    """Parse ``path``; return the config (None if unreadable) and every problem found.

    ``watchlist_names(dir)`` returns the set of names defined there (None: don't check);
    ``entity_names(dir)`` likewise for entity names.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(str(path), 0, NO_CONFIG)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 0, f"cannot read config: {exc}")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_syntax_problem(path, exc)]
    checker = _Checker(path, text)
    config = _parse(checker, raw, path.resolve().parent, watchlist_names or (lambda _d: None),
                    entity_names)
    return config, checker.problems


def load_config(path: Path, watchlist_names=None) -> Config:
    """Parse and validate ``path``; raise InvalidFiles listing every problem."""
    config, problems = check_config(path, watchlist_names)
    if problems or config is None:
        raise InvalidFiles(problems)
    return config
