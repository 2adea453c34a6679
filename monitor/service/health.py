"""Is the daemon healthy? Storage must answer and feeds must have been polled recently."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

from monitor.config import Config, HttpConfig
from monitor.pipeline.adaptive import Bounds, longest_quiet
from storage import Database
from storage.db import ping
from storage.models import utcnow
from storage.sources import last_polled_at

GRACE = timedelta(minutes=5)


def source_intervals(config: Config) -> list[float]:
    """The configured interval of every source: feeds, searches and public records alike."""
    return ([f.interval for f in config.feeds] + [s.interval for s in config.searches]
            + [r.interval for r in config.records])


def stale_after(config: Config) -> timedelta | None:
    """How long every source may go unpolled once adaptive polling slowed each to its highest
    bound, plus grace; None when no source is configured."""
    intervals = source_intervals(config)
    if not intervals:
        return None
    bounds = Bounds(config.polling.min_interval, config.polling.max_interval)
    return timedelta(seconds=longest_quiet(intervals, bounds)) + GRACE


def check_health(config: Config, db: Database) -> tuple[bool, str]:
    """(healthy, reason): stale when no feed was polled within its interval plus a grace period."""
    try:
        with db.read() as s:
            ping(s)
            last = last_polled_at(s)
    except Exception as exc:  # noqa: BLE001 - any storage failure is unhealthy
        return False, f"storage does not answer: {type(exc).__name__}"
    limit = stale_after(config)
    if limit is None:
        return True, "ok: no sources configured"
    if last is None:
        return False, "no source has been polled yet"
    age = utcnow() - last
    if age > limit:
        return False, f"last poll was {int(age.total_seconds())}s ago"
    return True, f"ok: last poll {int(age.total_seconds())}s ago"


def check_http_health(http: HttpConfig, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask the running daemon's ``/healthz``: proves the process is alive, not just storage."""
    host, port = http.host_port
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return True, json.loads(resp.read()).get("reason", "ok")
    except urllib.error.HTTPError as exc:
        try:
            return False, json.loads(exc.read()).get("reason", f"HTTP {exc.code}")
        except ValueError:
            return False, f"{url}: HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return False, f"{url} does not answer: {exc}"
