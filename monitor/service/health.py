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


def check_health(config: Config, db: Database) -> tuple[bool, str]:
    """(healthy, reason): stale when no feed was polled within its interval plus a grace period."""
    try:
        with db.read() as s:
            ping(s)
            last = last_polled_at(s)
    except Exception as exc:  # noqa: BLE001 - any storage failure is unhealthy
        return False, f"storage does not answer: {type(exc).__name__}"
    if not config.feeds:
        return True, "ok: no feeds configured"
    if last is None:
        return False, "no feed has been polled yet"
    shortest = longest_quiet([f.interval for f in config.feeds],
                             Bounds(config.polling.min_interval, config.polling.max_interval))
    age = utcnow() - last
    if age > timedelta(seconds=shortest) + GRACE:
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
