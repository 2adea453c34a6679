"""The config's tables ([storage], [polling] …, [[feeds]]): each key's type, default, check and
secrecy, declared once as a field; the checks that are not config's own live with their owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.config.problems import Problem
from monitor.config.schema import (
    Dropped,
    Refused,
    Spot,
    duration,
    duration_or_off,
    expand_env,
    key,
    positive_int,
    string,
    verbatim,
)
from monitor.config.search import SearchConfig
from monitor.sources.feed.urls import feed_url_problem
from notifiers.channels import DEFAULT_TIMEOUT, Recipient

DEFAULT_INTERVAL = 900.0
DEFAULT_BACKLOG = 2 * 86400.0


def storage_url(value: Any, spot: Spot) -> str:
    """The database URL, ``${VAR}`` expanded, that SQLAlchemy can open with an installed driver."""
    from storage.db import storage_url_problem  # SQLAlchemy loads only once a config is read

    url, missing = expand_env(string(value, spot) or "")
    if missing:
        raise Refused(f"storage url: environment variable(s) {', '.join(missing)} not set")
    if reason := storage_url_problem(url):
        raise Refused(reason)
    return url


def url_secrets(url: str) -> list[str]:
    """For ``secret``: the database password, if the URL has one."""
    from storage.db import url_password

    return [p for p in (url_password(url),) if p]


def or_default(value: Any, spot: Spot) -> Any:
    """A string; empty means the default."""
    return string(value, spot) or spot.default


def or_none(value: Any, spot: Spot) -> str | None:
    """A string; empty means absent."""
    return string(value, spot) or None


def full_text_mode(value: Any, spot: Spot) -> bool | str | None:
    """``full_text``: true, false or "auto" (fetch the page when the entry's text is short)."""
    if value is None or isinstance(value, bool) or value == "auto":
        return value
    raise Refused(f'{spot.name} must be true, false or "auto"')


def template_folder(value: Any, spot: Spot) -> Path | None:
    """A folder of the user's templates, relative to the config's."""
    given = string(value, spot)
    if not given:
        return None
    path = (spot.reader.base / given).resolve()
    if not path.is_dir():
        raise Refused(f"templates_dir is not a directory: {given}")
    return path


def listen_address(value: Any, spot: Spot) -> str | None:
    """``host:port`` for the HTTP endpoint."""
    listen = string(value, spot)
    if listen is None:
        return None
    host, sep, port = listen.rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise Refused(f"listen must be \"host:port\" (e.g. \"127.0.0.1:8080\"), got {listen!r}")
    return listen


def http_token(value: Any, spot: Spot) -> str | None:
    """The HTTP token, ``${VAR}`` expanded; unset or empty disables it with a warning."""
    token = string(value, spot)
    if token is None:
        return None
    token, missing = expand_env(token)
    if missing or not token:
        why = f"environment variable(s) {', '.join(missing)} not set" if missing else "it is empty"
        spot.warn(f"http token is disabled: {why}")
        return None
    if len(token) < 16:
        raise Refused("http token must be at least 16 characters")
    return token


def public_base_url(value: Any, spot: Spot) -> str | None:
    """The endpoint's public address, ending in "/" so that paths join under it."""
    url = string(value, spot)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise Refused("public_url must be an http:// or https:// URL without query or fragment "
                      f"(e.g. \"https://monitor.example.org/\"), got {url!r}")
    return url if url.endswith("/") else url + "/"


def max_interval(value: Any, spot: Spot) -> float | None:
    """Adaptive polling's upper bound, which may not be below ``min_interval``."""
    seconds = duration(value, spot)
    low = spot.row.get("min_interval")
    if seconds is not None and low is not None and seconds < low:
        raise Refused(f"max_interval ({value}) is below min_interval ({low:g} s)")
    return seconds


def feed_url(value: Any, spot: Spot) -> str | None:
    """A feed's URL, once per config; a bad or repeated one leaves the feed out."""
    url = string(value, spot)
    if not url:
        return url
    if reason := feed_url_problem(url):
        raise Dropped(reason)
    if spot.earlier.has("url", url):
        raise Dropped(f"duplicate feed url {url!r}")
    return url


@dataclass(frozen=True)
class StorageConfig:
    """``[storage]``; ``url`` as written (``${VAR}`` expanded), not yet resolved to the folder."""

    url: str = key(storage_url, "sqlite:///data/monitor.db", secret=url_secrets)
    retention_days: int | None = key(positive_int, None)  # None: stories are kept forever


@dataclass(frozen=True)
class WatchlistsConfig:
    """``[watchlists]``; ``dir`` as written, relative to the config's folder."""

    dir: str = key(or_default, "watchlists")


@dataclass(frozen=True)
class FeedConfig:
    """A feed to poll; ``interval`` in seconds; without a ``name`` the feed's own title is used."""

    url: str = key(feed_url, required=True)
    name: str | None = key(or_none, None)
    interval: float = key(duration, DEFAULT_INTERVAL)  # the loader passes [polling] interval
    full_text: bool | str | None = key(full_text_mode, None)  # None: the kind's default


@dataclass(frozen=True)
class PollingConfig:
    """How politely and how hard feeds are fetched."""

    interval: float = key(duration, DEFAULT_INTERVAL)
    user_agent: str = key(string, "ice-monitor/0.1")
    contact: str = key(string, "")
    concurrency: int = key(positive_int, 50)
    per_host: int = key(positive_int, 4)
    timeout: float = key(duration, 30.0)
    max_bytes: int = key(positive_int, 10 * 1024 * 1024)
    lease: float | None = key(duration, None)  # how long a worker owns its feeds; None: derived
    # a feed's first poll stores older entries without alerting them; None: off
    backlog: float | None = key(duration_or_off, DEFAULT_BACKLOG)
    # adaptive polling's bounds; None: each source's interval /4 and ×4
    min_interval: float | None = key(duration, None)
    max_interval: float | None = key(max_interval, None)


@dataclass(frozen=True)
class DeliveryConfig:
    """Retry policy for failed deliveries, the in-flight lease, admin templates."""

    retry_initial: float = key(duration, 30.0)
    max_attempts: int = key(positive_int, 10)
    lease: float = key(duration, 300.0)
    timeout: float = key(duration, DEFAULT_TIMEOUT)  # how long a target may take to answer
    templates_dir: Path | None = key(template_folder, None)


@dataclass(frozen=True)
class HttpConfig:
    """The daemon's HTTP endpoint: off when ``listen`` is None; ``token`` guards non-read-only."""

    listen: str | None = key(listen_address, None)
    token: str | None = key(http_token, None, secret=verbatim)
    public_url: str | None = key(public_base_url, None)  # Atom ids and links start here
    max_connections: int = key(positive_int, 100)  # open connections at once; beyond, a 503
    header_timeout: float = key(duration, 10.0)  # a request head must arrive within this

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = (self.listen or "").rpartition(":")
        return host.strip("[]"), int(port)


def boolean(value: Any, spot: Spot) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise Refused(f"{spot.name} must be true or false, got {value!r}")
    return value


def delays(value: Any, spot: Spot) -> tuple[float, ...]:
    """A list of durations (``["1h", "24h", "7d"]``), each after the one before it."""
    if not isinstance(value, list | tuple):
        raise Refused(f"{spot.name} must be a list of durations like [\"1h\", \"24h\", \"7d\"]")
    seconds = tuple(duration(v, spot) or 0.0 for v in value)
    if any(b <= a for a, b in zip(seconds, seconds[1:], strict=False)):
        raise Refused(f"{spot.name} must list each delay after the one before it")
    return seconds


def base_url(value: Any, spot: Spot) -> str:
    """An http(s) base URL, without a trailing slash."""
    url = string(value, spot) or spot.default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{spot.name} must be an http:// or https:// URL, got {url!r}")
    return url.rstrip("/")


def spn_keys(value: Any, spot: Spot) -> str | None:
    """Save Page Now keys as ``ACCESS:SECRET`` (``${VAR}`` expanded); unset: anonymous."""
    given = string(value, spot)
    if not given:
        return None
    given, missing = expand_env(given)
    if missing:
        spot.warn(f"wayback_key: environment variable(s) {', '.join(missing)} not set; "
                  "captures are asked anonymously")
        return None
    if ":" not in given:
        raise Refused("wayback_key must be \"ACCESS:SECRET\" (archive.org S3 keys)")
    return given


@dataclass(frozen=True)
class EvidenceConfig:
    """``[evidence]``: keep the page of every story with a hit, recheck it, archive it."""

    keep: bool = key(boolean, False)
    recheck: tuple[float, ...] = key(delays, (3600.0, 86400.0, 7 * 86400.0))
    wayback: bool = key(boolean, False)
    wayback_url: str = key(base_url, "https://web.archive.org")
    wayback_key: str | None = key(spn_keys, None, secret=verbatim)
    wayback_interval: float = key(duration, 10.0)  # between two Save Page Now requests
    wayback_attempts: int = key(positive_int, 5)


@dataclass(frozen=True)
class TrendsConfig:
    """``[trends]``: spikes are judged against the entity's own ``baseline`` (trailing window)
    and need at least ``min_count`` stories in the hour or day, so 0 → 2 is never one."""

    baseline: float = key(duration, 28 * 86400.0)
    min_count: int = key(positive_int, 5)


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
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # of the keys declared secret
    records: tuple[Any, ...] = ()  # [[records]] (monitor.config.records.RecordsConfig)
    trends: TrendsConfig = field(default_factory=TrendsConfig)
    searches: tuple[SearchConfig, ...] = ()  # [[search]]: search sources made from watchlists

    def secrets(self) -> list[str]:
        """Every value of a key the schema declares secret (notify URLs, the HTTP token, the
        database password), as read (``${VAR}`` expanded), so that log output can redact them."""
        return list(self.secret_values)
