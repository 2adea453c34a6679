"""``monitor health``: the exit code a container HEALTHCHECK reads."""

from __future__ import annotations

import argparse
import sys

from monitor.cli.common import Commands, config_path


def register(commands: Commands) -> None:
    """Add ``health``."""
    commands.add("health", "exit 0 when the daemon is healthy: its /healthz with [http] listen "
                           "set, else storage answers and polling is current (for HEALTHCHECK)",
                 cmd_health)


def cmd_health(args: argparse.Namespace) -> int:
    """Ask the daemon's /healthz when it serves HTTP, else check storage and polling."""
    from monitor.config import load_config
    from monitor.service.health import check_health, check_http_health
    from storage import connect

    config = load_config(config_path(args))
    if config.http.listen:
        ok, reason = check_http_health(config.http)
    else:
        db = connect(config.storage_url, create=False)
        try:
            ok, reason = check_health(config, db)
        finally:
            db.dispose()
    print(reason, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
